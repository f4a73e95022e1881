import { Field, ObjectType } from 'type-graphql';
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

@ObjectType({ description: 'One message of a conversation, in either direction.' })
@Entity('message')
@Index('idx_message_conversation_id_position', ['conversationId', 'position'])
@Index('uq_message_position', ['position'], { unique: true })
export class Message extends OrganizationRecord {
  /** Global insertion order: "newer than the message I saw" is `position >`. */
  @Column('bigint')
  @Generated('increment')
  position: string;

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

  @Column('text', { nullable: true })
  providerMessageId: string | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
