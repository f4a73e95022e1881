import type { ActorRef } from '../../context/auth';
import type { Tx } from '../../db/unit-of-work';
import type { Conversation } from '../../entities/conversation.entity';
import type { Message } from '../../entities/message.entity';
import { ConversationEventKind, type ConversationEventPayload } from '../../subscriptions/payloads';
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

/**
 * C10: a message of a conversation assigned to an agent is logged on the agent's message stream
 * too (the MESSAGE event as the inbox's stream has it), so that a supervisor spying on the agent
 * follows one stream with one resume cursor, whichever inboxes the agent works in. The agent is
 * not told: nobody but `spy` reads that stream.
 */
export function emitAgentMessage(
  tx: Tx,
  conversation: Conversation,
  actor: ActorRef,
  message: Message,
): void {
  if (!conversation.assigneeId) return;
  const payload: ConversationEventPayload = {
    kind: ConversationEventKind.MESSAGE,
    actor,
    conversation: snapshotOf(conversation),
    message: snapshotOf(message),
  };
  tx.emit(
    Streams.staffMessages(conversation.organizationId, conversation.assigneeId),
    conversation.organizationId,
    payload,
  );
}
