import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
} from 'typeorm';
import { Inbox } from './inbox.entity';
import { OrganizationRecord } from './organization-record';
import { Staff } from './staff.entity';

export enum ClientSessionKind {
  /** Created by signIn; owns the bearer token. An HTTP-only client may use it as its window. */
  SIGN_IN = 'SIGN_IN',
  /** One console window: a WebSocket connection, child of the sign-in whose token it used. */
  WINDOW = 'WINDOW',
}

/**
 * One signed-in window (DESIGN §2). Revoking a sign-in revokes its windows: the token is refused
 * and their sockets are closed.
 */
@Entity('client_session')
@Index('uq_client_session_token_hash', ['tokenHash'], { unique: true })
@Index('idx_client_session_staff_id', ['staffId'])
@Index('idx_client_session_parent_id', ['parentId'])
export class ClientSession extends OrganizationRecord {
  @Column('uuid')
  staffId: string;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: Relation<Staff>;

  @Column('uuid', { nullable: true })
  parentId: string | null;

  @ManyToOne(() => ClientSession, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<ClientSession> | null;

  @Column('varchar', { length: 16 })
  kind: ClientSessionKind;

  /** sha256 of the bearer token; only sign-in sessions have one. */
  @Column('text', { nullable: true })
  tokenHash: string | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  lastSeenAt: Date;

  @Column('timestamp with time zone', { precision: 3 })
  expiresAt: Date;

  @Column('timestamp with time zone', { precision: 3, nullable: true })
  revokedAt: Date | null;

  /** The inbox this window is in (co-working): leaving it or switching releases its lock. */
  @Column('uuid', { nullable: true })
  inboxId: string | null;

  @ManyToOne(() => Inbox, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'inbox_id' })
  inbox?: Relation<Inbox> | null;

  @Column('text', { nullable: true })
  revokedReason: string | null;
}
