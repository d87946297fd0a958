import { Column, Entity, PrimaryColumn } from 'typeorm';

/** TypeORM mapping of the dead_letters table, for the dead-letter list's query builder. */
@Entity({ name: 'dead_letters' })
export class DeadLetterRecord {
  @PrimaryColumn({ type: 'bigint', generated: 'identity' })
  id!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'text' })
  detail!: string;

  @Column({ type: 'text' })
  channel!: string;

  @Column({ type: 'text', nullable: true })
  topic!: string | null;

  @Column({ type: 'integer', nullable: true })
  partition!: number | null;

  @Column({ name: 'offset', type: 'text', nullable: true })
  offset!: string | null;

  @Column({ name: 'record_key', type: 'text', nullable: true })
  recordKey!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  headers!: Record<string, string> | null;

  @Column({ type: 'bytea', nullable: true })
  payload!: Buffer | null;

  @Column({ name: 'event_id', type: 'text', nullable: true })
  eventId!: string | null;

  @Column({ name: 'operation_id', type: 'text', nullable: true })
  operationId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'republished_at', type: 'timestamptz', nullable: true })
  republishedAt!: Date | null;

  @Column({ name: 'republish_count', type: 'integer' })
  republishCount!: number;
}
