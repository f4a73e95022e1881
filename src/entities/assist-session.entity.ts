import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { ClientSession } from './client-session.entity';
import { Customer } from './customer.entity';
import { AuthorKind, Channel } from './enums';
import { OrganizationRecord } from './organization-record';
import { Staff } from './staff.entity';

/** How an assist session ended (A5): the first four are the agent's choice, the rest Tandem's. */
export enum AssistOutcome {
  RESOLVED = 'RESOLVED',
  FOLLOW_UP = 'FOLLOW_UP',
  ESCALATED = 'ESCALATED',
  ABANDONED = 'ABANDONED',
  /** Still open after ASSIST_MAX_MINUTES: its end is its start plus that maximum. */
  TIMED_OUT = 'TIMED_OUT',
  /** The staff member signed out (or their sessions were revoked) and has no sign-in left. */
  SIGNED_OUT = 'SIGNED_OUT',
  /** A supervisor disconnected the staff member. */
  DISCONNECTED = 'DISCONNECTED',
  /** The staff member was deactivated. */
  DEACTIVATED = 'DEACTIVATED',
}

/** The outcomes an agent may choose in endAssisting; the others are set by Tandem. */
export const AGENT_OUTCOMES: readonly AssistOutcome[] = [
  AssistOutcome.RESOLVED,
  AssistOutcome.FOLLOW_UP,
  AssistOutcome.ESCALATED,
  AssistOutcome.ABANDONED,
];

registerEnumType(AssistOutcome, {
  name: 'AssistOutcome',
  description:
    'How an assist session ended. RESOLVED, FOLLOW_UP, ESCALATED and ABANDONED are chosen by the ' +
    'agent; TIMED_OUT, SIGNED_OUT, DISCONNECTED and DEACTIVATED are set by Tandem.',
});

/**
 * A staff member assisting a customer (A3), kept afterwards as an entry of the staff member's
 * timesheet (A5). At most one open per staff member. Reads treat one past `expiresAt` as ended
 * (TIMED_OUT at `expiresAt`) even before the job that ends it has run.
 */
@ObjectType({
  description:
    "A staff member acting on a customer's behalf (assisted service); kept as a timesheet entry.",
})
@Entity('assist_session')
@Index('uq_assist_session_open', ['staffId'], { unique: true, where: 'ended_at IS NULL' })
// Reports read every session of a range from this index alone (it includes what they group
// and sum): made by migration AssistedService, as TypeORM cannot declare INCLUDE.
@Index('idx_assist_session_report', { synchronize: false })
@Index('idx_assist_session_staff_id_started_at', ['staffId', 'startedAt'])
@Index('idx_assist_session_customer_id', ['customerId'])
@Index('idx_assist_session_expires_at', ['expiresAt'], { where: 'ended_at IS NULL' })
export class AssistSession extends OrganizationRecord {
  @Column('uuid')
  staffId: string;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: Relation<Staff>;

  /** Null while the caller is not a customer yet; registerCustomer sets it. */
  @Column('uuid', { nullable: true })
  customerId: string | null;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'customer_id' })
  customer?: Relation<Customer> | null;

  @Field(() => Channel)
  @Column('varchar', { length: 16 })
  channel: Channel;

  @Field({ description: 'The service the customer needs help with, as the agent named it.' })
  @Column('text')
  service: string;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  reason: string | null;

  /** The window (client session) that started it. */
  @Column('uuid', { nullable: true })
  startedFromSessionId: string | null;

  @ManyToOne(() => ClientSession, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'started_from_session_id' })
  startedFromSession?: Relation<ClientSession> | null;

  @Field()
  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  startedAt: Date;

  @Field({ description: 'When it ends by itself (TIMED_OUT) if still open: ASSIST_MAX_MINUTES.' })
  @Column('timestamp with time zone', { precision: 3 })
  expiresAt: Date;

  @Field(() => Date, { nullable: true })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  endedAt: Date | null;

  @Field(() => AssistOutcome, { nullable: true })
  @Column('varchar', { length: 16, nullable: true })
  outcome: AssistOutcome | null;

  @Field(() => String, { nullable: true, description: "The agent's notes, given when ending." })
  @Column('text', { nullable: true })
  notes: string | null;

  @Column('varchar', { length: 16, nullable: true })
  endedByKind: AuthorKind | null;

  @Column('uuid', { nullable: true })
  endedById: string | null;

  @Column('text', { nullable: true })
  endedByName: string | null;
}
