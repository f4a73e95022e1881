import { Field, Int, ObjectType } from 'type-graphql';
import { Conversation } from '../../entities/conversation.entity';
import { Message } from '../../entities/message.entity';
import type { ConversationEventPayload } from '../../subscriptions/payloads';
import { ConversationEventKind } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { fromSnapshot } from '../../subscriptions/snapshot';
import { Actor } from '../common/actor.type';

@ObjectType({ description: 'Something happened to a conversation of an inbox.' })
export class ConversationEvent {
  @Field(() => Int, {
    description: 'Per-inbox sequence: consecutive, the same on every server instance.',
  })
  seq: number;

  @Field(() => ConversationEventKind)
  kind: ConversationEventKind;

  @Field()
  at: Date;

  @Field(() => Actor)
  actor: Actor;

  @Field(() => Conversation, { description: 'As it was right after the change.' })
  conversation: Conversation;

  @Field(() => Message, { nullable: true, description: 'Set for MESSAGE.' })
  message: Message | null;
}

export function toConversationEvent(
  envelope: EventEnvelope<ConversationEventPayload>,
): ConversationEvent {
  const { kind, actor, conversation, message } = envelope.payload;
  return {
    seq: envelope.seq,
    kind,
    at: new Date(envelope.at),
    actor,
    conversation: fromSnapshot(Conversation, conversation),
    message: message ? fromSnapshot(Message, message) : null,
  };
}
