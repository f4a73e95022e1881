import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Every realtime event, written in the transaction that caused it. It gives each stream a
 * sequence decided by Postgres (the same on every instance), lets a subscriber resume from a
 * cursor, and lets an instance fill a gap when Redis delivers out of order.
 */
@Entity('event_log')
@Index('idx_event_log_at', ['at'])
export class EventLog {
  @PrimaryColumn('text')
  stream: string;

  @PrimaryColumn('bigint')
  seq: string;

  @Column('uuid')
  organizationId: string;

  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  at: Date;
}

/** The last sequence number handed out per stream; its row lock orders a stream's writers. */
@Entity('stream_seq')
export class StreamSeq {
  @PrimaryColumn('text')
  stream: string;

  @Column('bigint', { default: 0 })
  lastSeq: string;
}
