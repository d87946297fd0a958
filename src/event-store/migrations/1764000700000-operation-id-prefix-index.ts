import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The list's `idPrefix` filter (the console's search by id prefix): a btree on the id in byte order
 * (collation "C"), whatever the database's collation, so that a prefix is one range of it. The
 * planner estimates such a range well from this index (a LIKE under a non-C collation it does not),
 * so a rare prefix is read here and a common one through first_position's order.
 */
export class OperationIdPrefixIndex1764000700000 implements MigrationInterface {
  name = 'OperationIdPrefixIndex1764000700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX operations_id_prefix_idx ON operations (id COLLATE "C")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX operations_id_prefix_idx`);
  }
}
