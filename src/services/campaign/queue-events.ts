import type { ActorRef } from '../../context/auth';
import type { Tx } from '../../db/unit-of-work';
import type { Campaign } from '../../entities/campaign.entity';
import type { Conversation } from '../../entities/conversation.entity';
import {
  type QueuedInteractionSnapshot,
  type QueueEventPayload,
  QueueEventKind,
} from '../../subscriptions/payloads';
import { Streams } from '../../subscriptions/topics';

export { QueueEventKind };

/** The interaction as queue events carry it (C5: number, campaign, when it started waiting). */
export function queuedSnapshot(
  conversation: Conversation,
  number: string | null,
): QueuedInteractionSnapshot {
  return {
    conversationId: conversation.id,
    campaignId: conversation.campaignId as string,
    customerId: conversation.customerId,
    number,
    waitingSince: (conversation.waitingSince ?? conversation.createdAt).toISOString(),
  };
}

/** Logs a queue event on the campaign's stream, published when the transaction commits. */
export function emitQueueEvent(
  tx: Tx,
  campaign: Pick<Campaign, 'id' | 'organizationId'>,
  kind: QueueEventKind,
  conversation: Conversation,
  number: string | null,
  actor: ActorRef,
): void {
  const payload: QueueEventPayload = {
    kind,
    campaignId: campaign.id,
    interaction: queuedSnapshot(conversation, number),
    actor,
  };
  tx.emit(
    Streams.campaignQueue(campaign.organizationId, campaign.id),
    campaign.organizationId,
    payload,
  );
}
