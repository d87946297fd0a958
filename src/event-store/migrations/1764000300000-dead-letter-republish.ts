import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Remembers which dead letters an operator re-published to the main topic, and how often. */
export class DeadLetterRepublish1764000300000 implements MigrationInterface {
  name = 'DeadLetterRepublish1764000300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dead_letters ADD COLUMN republished_at timestamptz`);
    await queryRunner.query(`ALTER TABLE dead_letters ADD COLUMN republish_count integer NOT NULL DEFAULT 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dead_letters DROP COLUMN republish_count`);
    await queryRunner.query(`ALTER TABLE dead_letters DROP COLUMN republished_at`);
  }
}
