import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { ClientSession } from './client-session.entity';
import { Conversation } from './conversation.entity';
import { Inbox } from './inbox.entity';
import { Organization } from './organization.entity';
import { Staff } from './staff.entity';

/**
 * The co-working lock of one ticket (a conversation). The row outlives its holders: a free
 * ticket has no session, and `token` keeps growing with every acquisition (the fencing token).
 * Every change goes through the SQL functions of src/services/lock/lock.sql, one statement each.
 */
@Entity('ticket_lock')
@Index('uq_ticket_lock_session_id', ['sessionId'], {
  unique: true,
  where: 'session_id IS NOT NULL',
})
@Index('idx_ticket_lock_inbox_id', ['inboxId'], { where: 'session_id IS NOT NULL' })
export class TicketLock {
  @PrimaryColumn('uuid')
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  @Column('uuid')
  organizationId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<Organization>;

  @Column('uuid')
  inboxId: string;

  @ManyToOne(() => Inbox, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'inbox_id' })
  inbox?: Relation<Inbox>;

  /** The holding window; null when the ticket is free. */
  @Column('uuid', { nullable: true })
  sessionId: string | null;

  @ManyToOne(() => ClientSession, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'session_id' })
  session?: Relation<ClientSession> | null;

  @Column('uuid', { nullable: true })
  staffId: string | null;

  @ManyToOne(() => Staff, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'staff_id' })
  staff?: Relation<Staff> | null;

  @Column('bigint', { default: 0 })
  token: string;

  @Column('timestamp with time zone', { precision: 3, nullable: true })
  acquiredAt: Date | null;
}
