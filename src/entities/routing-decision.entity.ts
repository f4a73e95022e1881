import { Field, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
} from 'typeorm';
import { AuthorKind, RoutingReason } from './enums';
import { Conversation } from './conversation.entity';
import { OrganizationRecord } from './organization-record';

/** One routing decision about a conversation (R10): routing is explainable. */
@ObjectType({
  description: 'Why a conversation went where it went, when, and who or what decided.',
})
@Entity('routing_decision')
@Index('idx_routing_decision_conversation_id', ['conversationId', 'at'])
export class RoutingDecision extends OrganizationRecord {
  @Column('uuid')
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  at: Date;

  @Field(() => RoutingReason)
  @Column('varchar', { length: 48 })
  reason: RoutingReason;

  /** Who got it; null when it was queued. */
  @Column('uuid', { nullable: true })
  assigneeId: string | null;

  @Column('uuid')
  inboxId: string;

  @Column('varchar', { length: 16 })
  decidedByKind: AuthorKind;

  @Column('uuid', { nullable: true })
  decidedById: string | null;

  @Column('text')
  decidedByName: string;

  @Field(() => String, { nullable: true, description: 'The rule, in words.' })
  @Column('text', { nullable: true })
  note: string | null;
}
