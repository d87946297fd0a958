import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { FoldMemo, OperationState } from '../projection/operation-fold';

/**
 * TypeORM mappings of the tables the migrations create. The append path
 * writes through SQL (multi-row unnest); these serve the read side.
 */
@Entity({ name: 'operations' })
export class OperationRecord {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'jsonb' })
  state!: OperationState;

  @Column({ type: 'jsonb' })
  memo!: FoldMemo;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /** bigint: a string as pg returns it; see toGlobalPosition. */
  @Column({ name: 'last_position', type: 'bigint' })
  lastPosition!: string;

  @Column({ name: 'projected_at', type: 'timestamptz' })
  projectedAt!: Date;

  /** Position of the operation's first event: the stable order of the operator list. */
  @Column({ name: 'first_position', type: 'bigint', nullable: true })
  firstPosition!: string | null;
}

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
