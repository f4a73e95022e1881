import { Field, ID, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Generated,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
} from 'typeorm';
import { AuthorKind, DeliveryState, Direction } from './enums';
import { Conversation } from './conversation.entity';
import { OrganizationRecord } from './organization-record';
import { Provider } from './provider.entity';

@ObjectType({ description: 'One message of a conversation, in either direction.' })
@Entity('message')
@Index('idx_message_conversation_id_position', ['conversationId', 'position'])
@Index('uq_message_position', ['position'], { unique: true })
// A provider's message id is stored once (C3): the key of insert-or-ignore and of status callbacks.
@Index('uq_message_provider_message_id', ['providerId', 'providerMessageId'], {
  unique: true,
  where: 'provider_id IS NOT NULL AND provider_message_id IS NOT NULL',
})
export class Message extends OrganizationRecord {
  /** Global insertion order: "newer than the message I saw" is `position >`. */
  @Column('bigint')
  @Generated('increment')
  position: string;

  @Field(() => ID, { description: 'The conversation it belongs to.' })
  @Column('uuid')
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  @Field(() => Direction)
  @Column('varchar', { length: 16 })
  direction: Direction;

  @Field(() => AuthorKind)
  @Column('varchar', { length: 16 })
  authorKind: AuthorKind;

  /** The staff member or API key that wrote it; null for the customer and the system. */
  @Column('uuid', { nullable: true })
  authorId: string | null;

  @Field()
  @Column('text')
  body: string;

  @Field(() => DeliveryState)
  @Column('varchar', { length: 16 })
  deliveryState: DeliveryState;

  /** The provider it came through or goes out by (campaign messages). */
  @Column('uuid', { nullable: true })
  providerId: string | null;

  @ManyToOne(() => Provider, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'provider_id' })
  provider?: Relation<Provider> | null;

  @Column('text', { nullable: true })
  providerMessageId: string | null;

  /**
   * Inbound through a provider: when the customer sent it, by the provider's clock (the 24-hour
   * reply window runs from the last one).
   */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  providerTimestamp: Date | null;

  /** Inbound through a provider: `text`, `image`, `template`, ... as the provider names it. */
  @Column('text', { nullable: true })
  contentType: string | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field(() => String, {
    nullable: true,
    description: "FAILED: the provider's error code (Meta's, Twilio's), or Tandem's own.",
  })
  @Column('text', { nullable: true })
  deliveryErrorCode: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'FAILED: why, in words (e.g. that only a template may be sent now).',
  })
  @Column('text', { nullable: true })
  deliveryErrorReason: string | null;

  @Field(() => Date, { nullable: true, description: 'When the delivery state last changed.' })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  deliveryUpdatedAt: Date | null;

  /** Outbox: sends tried so far (C6's backoff grows with it). */
  @Column('integer', { default: 0 })
  sendAttempts: number;

  /** Outbox: when the last send was tried (a message not tried for long is swept up again). */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  lastSendAttemptAt: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'An outgoing template message: the approved template it sends.',
  })
  @Column('text', { nullable: true })
  templateName: string | null;

  @Column('text', { nullable: true })
  templateLanguage: string | null;
}
