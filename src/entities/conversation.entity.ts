import { Field, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Campaign } from './campaign.entity';
import { Channel, ConversationStatus, Direction, RoutingReason } from './enums';
import { Contact } from './contact.entity';
import { Customer } from './customer.entity';
import { Inbox } from './inbox.entity';
import { OrganizationRecord } from './organization-record';
import { Staff } from './staff.entity';

/** A conversation is also the "ticket" of co-working and the "interaction" of campaigns. */
@ObjectType({ description: 'A conversation with a customer on one channel: the unit of work.' })
@Entity('conversation')
@Index('idx_conversation_organization_id_created_at', ['organizationId', 'createdAt', 'id'])
@Index('idx_conversation_customer_id', ['customerId', 'createdAt'])
@Index('idx_conversation_inbox_id', ['inboxId', 'status'])
@Index('idx_conversation_assignee_id', ['assigneeId', 'status'])
@Index('idx_conversation_queue', ['inboxId', 'queuedAt', 'id'], {
  where: "status = 'OPEN' AND assignee_id IS NULL AND queued_at IS NOT NULL AND deleted_at IS NULL",
})
// What an agent holds in an inbox, counted against its capacity (R8).
@Index('idx_conversation_open_by_agent', ['inboxId', 'assigneeId'], {
  where: "status = 'OPEN' AND assignee_id IS NOT NULL AND deleted_at IS NULL",
})
// A campaign's interactions: its recordings, and the open one of a number (C3, C15).
@Index('idx_conversation_campaign_id', ['campaignId', 'createdAt', 'id'], {
  where: 'campaign_id IS NOT NULL',
})
// A campaign's queue, oldest first (C4): waiting, not taken.
@Index('idx_conversation_campaign_queue', ['campaignId', 'waitingSince', 'id'], {
  where:
    "status = 'OPEN' AND assignee_id IS NULL AND waiting_since IS NOT NULL AND deleted_at IS NULL",
})
// A contact's interactions: its history (C7), recordings by number (C15).
@Index('idx_conversation_contact_id', ['contactId', 'createdAt'])
// Recordings (C15): the organization's campaign interactions newest first, and an agent's.
@Index('idx_conversation_records', ['organizationId', 'createdAt', 'id'], {
  where: 'campaign_id IS NOT NULL AND deleted_at IS NULL',
})
@Index('idx_conversation_records_agent', ['assigneeId', 'createdAt', 'id'], {
  where: 'campaign_id IS NOT NULL AND deleted_at IS NULL',
})
// Recordings by any part of the subject (pg_trgm); made by migration InteractionRecords.
@Index('idx_conversation_subject_trgm', { synchronize: false })
export class Conversation extends OrganizationRecord {
  @Column('uuid')
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: Relation<Customer>;

  @Column('uuid', { nullable: true })
  contactId: string | null;

  @ManyToOne(() => Contact, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'contact_id' })
  contact?: Relation<Contact> | null;

  @Field(() => Channel)
  @Column('varchar', { length: 16 })
  channel: Channel;

  @Column('uuid')
  inboxId: string;

  @ManyToOne(() => Inbox, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'inbox_id' })
  inbox?: Relation<Inbox>;

  /** Set on a campaign's interactions (the inbox is then the campaign's own). */
  @Column('uuid', { nullable: true })
  campaignId: string | null;

  @ManyToOne(() => Campaign, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'campaign_id' })
  campaign?: Relation<Campaign> | null;

  @Column('uuid', { nullable: true })
  assigneeId: string | null;

  @ManyToOne(() => Staff, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'assignee_id' })
  assignee?: Relation<Staff> | null;

  @Field(() => ConversationStatus)
  @Column('varchar', { length: 16, default: ConversationStatus.OPEN })
  status: ConversationStatus;

  @Field(() => Direction)
  @Column('varchar', { length: 16 })
  direction: Direction;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  subject: string | null;

  @Field(() => RoutingReason, {
    nullable: true,
    description: 'Why the conversation went where it is; `routingHistory` has every decision.',
  })
  @Column('varchar', { length: 48, nullable: true })
  routingReason: RoutingReason | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field()
  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;

  @Field(() => Date, { nullable: true })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  lastMessageAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "A WhatsApp interaction: 24 h after the provider's timestamp of the customer's last message. " +
      'Past it (or before the customer wrote), only a template may be sent (REPLY_WINDOW_CLOSED).',
  })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  replyWindowClosesAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  closedAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "Set while it waits in its inbox's queue (R9): first in, first routed.",
  })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  queuedAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'A campaign interaction: when Tandem queued it (kept on a requeue); its abandon timer runs from it.',
  })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  waitingSince: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'A campaign interaction: when it was first taken from the queue (its wait is takenAt - waitingSince).',
  })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  takenAt: Date | null;

  /** A taken campaign interaction: its first end (closed or archived); handle time ends here. */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  handledAt: Date | null;

  /** A campaign interaction that left the queue ABANDONED before anyone took it. */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  abandonedAt: Date | null;

  /** Set when it went back to its campaign's queue: the abandon timer runs from it then. */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  requeuedAt: Date | null;

  @Column('timestamp with time zone', { precision: 3, nullable: true })
  archivedAt: Date | null;

  /** Deleted conversations are kept for the audit trail and are NOT_FOUND to everyone. */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  deletedAt: Date | null;
}
