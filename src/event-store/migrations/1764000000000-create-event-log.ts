import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEventLog1764000000000 implements MigrationInterface {
  name = 'CreateEventLog1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE operation_events (
        position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operation_id text        NOT NULL,
        version      integer     NOT NULL CHECK (version > 0),
        event_id     text        NOT NULL,
        type         text        NOT NULL,
        source       text        NOT NULL,
        occurred_at  timestamptz NOT NULL,
        recorded_at  timestamptz NOT NULL DEFAULT now(),
        data         jsonb,
        CONSTRAINT operation_events_event_id_key UNIQUE (event_id),
        CONSTRAINT operation_events_operation_version_key UNIQUE (operation_id, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE operations (
        id            text        PRIMARY KEY,
        version       integer     NOT NULL,
        status        text        NOT NULL,
        state         jsonb       NOT NULL,
        memo          jsonb       NOT NULL,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        last_position bigint      NOT NULL,
        projected_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE dead_letters (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        reason       text        NOT NULL,
        detail       text        NOT NULL,
        channel      text        NOT NULL,
        topic        text,
        partition    integer,
        "offset"     text,
        record_key   text,
        headers      jsonb,
        payload      bytea,
        event_id     text,
        operation_id text,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    // A redelivered bad record must not produce a second row.
    await queryRunner.query(`
      CREATE UNIQUE INDEX dead_letters_record_key ON dead_letters (topic, partition, "offset")
      WHERE topic IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE projection_definitions (
        name               text    PRIMARY KEY,
        definition_version integer NOT NULL,
        rebuilt_at         timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE projection_definitions');
    await queryRunner.query('DROP TABLE dead_letters');
    await queryRunner.query('DROP TABLE operations');
    await queryRunner.query('DROP TABLE operation_events');
  }
}
