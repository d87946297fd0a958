import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rebuild and verify jobs of the operations projection, with the checkpoint a
 * cancelled or interrupted job resumes from (src/replay).
 */
export class CreateReplayJobs1764000200000 implements MigrationInterface {
  name = 'CreateReplayJobs1764000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE replay_jobs (
        id                      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind                    text        NOT NULL CHECK (kind IN ('rebuild', 'verify')),
        status                  text        NOT NULL CHECK (status IN ('running', 'cancelled', 'failed', 'succeeded')),
        phase                   text        NOT NULL,
        definition_version      integer     NOT NULL,
        horizon_position        bigint,
        caught_up_position      bigint,
        checkpoint_operation_id text,
        events_total            bigint,
        events_done             bigint      NOT NULL DEFAULT 0,
        operations_done         bigint      NOT NULL DEFAULT 0,
        run_events_start        bigint      NOT NULL DEFAULT 0,
        differences             integer,
        report                  jsonb,
        cancel_requested        boolean     NOT NULL DEFAULT false,
        error                   text,
        created_at              timestamptz NOT NULL DEFAULT now(),
        run_started_at          timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now(),
        finished_at             timestamptz
      )`);
    // Every projection that exists when this migration runs was built by the first
    // definition of the fold; start-up compares this with PROJECTION_DEFINITION_VERSION.
    await queryRunner.query(`
      INSERT INTO projection_definitions (name, definition_version, rebuilt_at)
      VALUES ('operations', 1, NULL) ON CONFLICT (name) DO NOTHING`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM projection_definitions WHERE name = 'operations' AND rebuilt_at IS NULL`);
    await queryRunner.query('DROP TABLE replay_jobs');
  }
}
