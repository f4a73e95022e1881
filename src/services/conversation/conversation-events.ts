import type { ActorRef } from '../../context/auth';
import type { Tx } from '../../db/unit-of-work';
import type { Conversation } from '../../entities/conversation.entity';
import type { Message } from '../../entities/message.entity';
import {
  type ConversationEventKind,
  type ConversationEventPayload,
} from '../../subscriptions/payloads';
import { snapshotOf } from '../../subscriptions/snapshot';
import { Streams } from '../../subscriptions/topics';

/**
 * Logs a conversation event on its inbox's stream (or `inboxId`'s: the inbox it just left), to
 * be published when the transaction commits.
 */
export function emitConversationEvent(
  tx: Tx,
  conversation: Conversation,
  kind: ConversationEventKind,
  actor: ActorRef,
  message?: Message,
  inboxId = conversation.inboxId,
): void {
  const payload: ConversationEventPayload = {
    kind,
    actor,
    conversation: snapshotOf(conversation),
    ...(message ? { message: snapshotOf(message) } : {}),
  };
  tx.emit(
    Streams.inboxConversations(conversation.organizationId, inboxId),
    conversation.organizationId,
    payload,
  );
}
