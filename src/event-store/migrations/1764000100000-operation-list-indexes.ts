import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the operator list and stats need: a stable keyset order (the position of
 * an operation's first event never changes and grows as new operations arrive),
 * and indexes for each filter.
 */
export class OperationListIndexes1764000100000 implements MigrationInterface {
  name = 'OperationListIndexes1764000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE operations ADD COLUMN first_position bigint`);
    await queryRunner.query(`
      UPDATE operations o SET first_position = e.first
      FROM (SELECT operation_id, min(position) AS first FROM operation_events GROUP BY operation_id) e
      WHERE e.operation_id = o.id`);
    await queryRunner.query(`CREATE INDEX operations_first_position_idx ON operations (first_position DESC)`);
    await queryRunner.query(
      `CREATE INDEX operations_status_first_position_idx ON operations (status, first_position DESC)`,
    );
    await queryRunner.query(`CREATE INDEX operations_updated_at_idx ON operations (updated_at)`);
    await queryRunner.query(`CREATE INDEX operations_stages_idx ON operations USING gin ((state -> 'stages'))`);
    await queryRunner.query(`CREATE INDEX operation_events_source_idx ON operation_events (source, operation_id)`);
    await queryRunner.query(`CREATE INDEX dead_letters_created_idx ON dead_letters (id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dead_letters_created_idx`);
    await queryRunner.query(`DROP INDEX operation_events_source_idx`);
    await queryRunner.query(`DROP INDEX operations_stages_idx`);
    await queryRunner.query(`DROP INDEX operations_updated_at_idx`);
    await queryRunner.query(`DROP INDEX operations_status_first_position_idx`);
    await queryRunner.query(`DROP INDEX operations_first_position_idx`);
    await queryRunner.query(`ALTER TABLE operations DROP COLUMN first_position`);
  }
}
