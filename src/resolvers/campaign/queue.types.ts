import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsOptional, IsUUID } from 'class-validator';
import { Conversation } from '../../entities/conversation.entity';
import type { QueuedInteractionSnapshot } from '../../subscriptions/payloads';

@ObjectType({ description: "An interaction in a campaign's queue (C5)." })
export class QueuedInteraction {
  @Field(() => ID, { description: 'The conversation: conversation(id) has the rest.' })
  conversationId: string;

  @Field(() => ID)
  campaignId: string;

  @Field(() => ID)
  customerId: string;

  @Field(() => String, { nullable: true, description: "The customer's number, E.164." })
  number: string | null;

  @Field({ description: 'When Tandem queued it (kept on a requeue).' })
  waitingSince: Date;
}

export function toQueuedInteraction(snapshot: QueuedInteractionSnapshot): QueuedInteraction {
  return { ...snapshot, waitingSince: new Date(snapshot.waitingSince) };
}

@ArgsType()
export class CampaignQueueArgs {
  @Field(() => ID)
  @IsUUID('all')
  campaignId: string;
}

@InputType({ description: 'Either campaignId (its oldest waiting interaction) or conversationId.' })
export class TakeInteractionInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  campaignId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  conversationId?: string;
}

@ObjectType()
export class TakeInteractionPayload {
  @Field(() => Conversation, {
    nullable: true,
    description: 'What the caller now holds; null when nothing was waiting.',
  })
  conversation: Conversation | null;
}

@InputType()
export class AbandonInteractionInput {
  @Field(() => ID)
  @IsUUID('all')
  conversationId: string;
}

@ObjectType()
export class AbandonInteractionPayload {
  @Field(() => Conversation)
  conversation: Conversation;
}
