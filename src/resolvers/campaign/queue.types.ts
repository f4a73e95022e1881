import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsInt,
  IsOptional,
  IsUUID,
  Min,
  ValidateNested,
} from 'class-validator';
import { Conversation } from '../../entities/conversation.entity';
import { MAX_WATCHED_CAMPAIGNS } from '../../services/campaign/queue-events.service';
import {
  type QueuedInteractionSnapshot,
  type QueueEventPayload,
  QueueEventKind,
} from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Actor } from '../common/actor.type';

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

@InputType({ description: "Where a client left one campaign's queue events." })
export class QueueCursorInput {
  @Field(() => ID)
  @IsUUID('all')
  campaignId: string;

  @Field(() => Int, { description: 'The last seq received of that campaign.' })
  @IsInt()
  @Min(0)
  seq: number;
}

@ArgsType()
export class QueueEventsArgs {
  @Field(() => [ID], { description: `The campaigns to watch (${MAX_WATCHED_CAMPAIGNS} at most).` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_WATCHED_CAMPAIGNS)
  @IsUUID('all', { each: true })
  campaignIds: string[];

  @Field(() => [QueueCursorInput], {
    nullable: true,
    description:
      'Resume cursors, one per campaign: its missed events are replayed from the last seq received, then live ones follow, with no gap and no duplicate. A campaign without one starts with a SNAPSHOT.',
  })
  @IsOptional()
  @ValidateNested({ each: true })
  after?: QueueCursorInput[] | null;
}

@ObjectType({ description: "What happened in a campaign's queue (C5), with its per-campaign seq." })
export class QueueEvent {
  @Field(() => Int, {
    description:
      "The campaign's sequence, the same on every server instance: the resume cursor of that campaign. A gap means an event was missed: subscribe again.",
  })
  seq: number;

  @Field(() => QueueEventKind)
  kind: QueueEventKind;

  @Field(() => ID)
  campaignId: string;

  @Field({ description: 'When it happened (SNAPSHOT: when it was read).' })
  at: Date;

  @Field(() => QueuedInteraction, {
    nullable: true,
    description:
      'The interaction that arrived, was taken, abandoned or requeued (none for SNAPSHOT).',
  })
  interaction: QueuedInteraction | null;

  @Field(() => String, { nullable: true, description: "The interaction's number, E.164." })
  number: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When Tandem queued the interaction (kept on a requeue).',
  })
  waitingSince: Date | null;

  @Field(() => [QueuedInteraction], {
    nullable: true,
    description: "SNAPSHOT: the campaign's waiting interactions, oldest first.",
  })
  waiting: QueuedInteraction[] | null;

  @Field(() => Actor, {
    nullable: true,
    description: 'Who caused it: the taker, the bot, Tandem for a timeout (none for SNAPSHOT).',
  })
  actor: Actor | null;
}

export function toQueueEvent(envelope: EventEnvelope<QueueEventPayload>): QueueEvent {
  const { kind, campaignId, interaction, waiting, actor } = envelope.payload;
  return {
    seq: envelope.seq,
    kind,
    campaignId,
    at: new Date(envelope.at),
    interaction: interaction ? toQueuedInteraction(interaction) : null,
    number: interaction?.number ?? null,
    waitingSince: interaction ? new Date(interaction.waitingSince) : null,
    waiting: waiting ? waiting.map(toQueuedInteraction) : null,
    actor: actor ?? null,
  };
}
