import { Field, ID, InputType, Int, ObjectType, ArgsType } from 'type-graphql';
import { IsInt, IsOptional, IsUUID, Min } from 'class-validator';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { DedicatedHero } from '../../entities/dedicated-hero.entity';
import { AssignmentEventKind, type AssignmentEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { fromSnapshot } from '../../subscriptions/snapshot';
import { Actor } from '../common/actor.type';

@InputType({ description: 'Exactly one of agentId and inboxId.' })
export class SetDedicatedHeroInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field(() => ID, {
    nullable: true,
    description: 'An active agent (agents may name only themselves).',
  })
  @IsOptional()
  @IsUUID('all')
  agentId?: string | null;

  @Field(() => ID, { nullable: true, description: 'An inbox: a hero team.' })
  @IsOptional()
  @IsUUID('all')
  inboxId?: string | null;
}

@InputType()
export class ClearDedicatedHeroInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;
}

@ObjectType()
export class DedicatedHeroPayload {
  @Field(() => Customer)
  customer: Customer;

  @Field(() => DedicatedHero, { nullable: true })
  dedicatedHero: DedicatedHero | null;
}

@ArgsType()
export class MyAssignmentsArgs {
  @Field(() => Int, { nullable: true, description: 'Resume cursor: the last seq received.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  after?: number | null;
}

@ObjectType({ description: 'A conversation given to you, or taken from you.' })
export class AssignmentEvent {
  @Field(() => Int)
  seq: number;

  @Field(() => AssignmentEventKind)
  kind: AssignmentEventKind;

  @Field()
  at: Date;

  @Field(() => Conversation, {
    description: 'As it was right after the change (routingReason says why).',
  })
  conversation: Conversation;

  @Field(() => Actor)
  actor: Actor;
}

export function toAssignmentEvent(
  envelope: EventEnvelope<AssignmentEventPayload>,
): AssignmentEvent {
  const { kind, conversation, actor } = envelope.payload;
  return {
    seq: envelope.seq,
    kind,
    at: new Date(envelope.at),
    conversation: fromSnapshot(Conversation, conversation),
    actor,
  };
}
