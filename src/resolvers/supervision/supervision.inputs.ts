import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsInt, IsOptional, IsString, IsUUID, Min, MaxLength } from 'class-validator';
import { Conversation } from '../../entities/conversation.entity';
import { Message } from '../../entities/message.entity';
import { Staff } from '../../entities/staff.entity';
import type { ConversationEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { fromSnapshot } from '../../subscriptions/snapshot';
import { Actor } from '../common/actor.type';
import { IsNotBlank } from '../common/validation';

@InputType()
export class AgentInput {
  @Field(() => ID)
  @IsUUID('all')
  agentId: string;
}

@InputType()
export class PauseAgentInput extends AgentInput {
  @Field({
    description: 'Why: kept while the agent is paused, shown to supervisors and the agent.',
  })
  @IsString()
  @IsNotBlank()
  @MaxLength(500)
  reason: string;
}

@ObjectType()
export class AgentPayload {
  @Field(() => Staff)
  agent: Staff;
}

@ObjectType()
export class DisconnectAgentPayload extends AgentPayload {
  @Field(() => Int, { description: 'Sign-ins revoked (each with all its windows).' })
  sessionsRevoked: number;

  @Field(() => [Conversation], {
    description:
      'C14: their active campaign interactions, back at the front of their queues with their original waitingSince (REQUEUED).',
  })
  requeued: Conversation[];
}

@ArgsType()
export class SpyArgs {
  @Field(() => ID, {
    nullable: true,
    description: 'Spy on every message of the conversations assigned to this agent.',
  })
  @IsOptional()
  @IsUUID('all')
  agentId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Or on the messages of this conversation.' })
  @IsOptional()
  @IsUUID('all')
  conversationId?: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Resume cursor: the last seq received (of the same agentId or conversationId). Missed messages are replayed first, then live ones follow, with no gap and no duplicate.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  after?: number | null;
}

@ObjectType({ description: 'A message of a spied conversation, as stored (C10).' })
export class SpyEvent {
  @Field(() => Int, {
    description:
      "The resume cursor: the seq of the stream followed (the agent's messages, or the conversation's inbox).",
  })
  seq: number;

  @Field()
  at: Date;

  @Field(() => Actor, { description: 'Who wrote it: the customer, the agent, someone else.' })
  actor: Actor;

  @Field(() => Conversation, { description: 'As it was when the message was stored.' })
  conversation: Conversation;

  @Field(() => Message)
  message: Message;
}

export function toSpyEvent(envelope: EventEnvelope<ConversationEventPayload>): SpyEvent {
  const { actor, conversation, message } = envelope.payload;
  return {
    seq: envelope.seq,
    at: new Date(envelope.at),
    actor,
    conversation: fromSnapshot(Conversation, conversation),
    message: fromSnapshot(Message, message!),
  };
}
