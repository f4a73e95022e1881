import type { ActorRef } from '../../context/auth';
import type { Tx } from '../../db/unit-of-work';
import type { Conversation } from '../../entities/conversation.entity';
import { RoutingReason } from '../../entities/enums';
import { RoutingDecision } from '../../entities/routing-decision.entity';
import {
  AssignmentEventKind,
  type AssignmentEventPayload,
  ConversationEventKind,
} from '../../subscriptions/payloads';
import { snapshotOf } from '../../subscriptions/snapshot';
import { Streams } from '../../subscriptions/topics';
import { emitConversationEvent } from '../conversation/conversation-events';
import type { LockService } from '../lock/lock.service';

export interface AssignmentChange {
  /** The new assignee; null puts the conversation in its inbox's queue. */
  assigneeId: string | null;
  /** Moves the conversation to this inbox first. */
  inboxId?: string;
  reason: RoutingReason;
  actor: ActorRef;
  /** The rule in words, for the routing history. */
  note?: string;
}

/**
 * Every change of who works a conversation goes through here, so that each one is recorded in
 * the routing history (R10) and announced the same way: to the inbox (ASSIGNED, ROUTED or
 * QUEUED), to the agents who got it or lost it (myAssignments), and to co-workers when a ticket
 * is reassigned (L6).
 */
export class Assignments {
  constructor(private readonly locks: LockService) {}

  async change(tx: Tx, conversation: Conversation, change: AssignmentChange): Promise<void> {
    const previousAssignee = conversation.assigneeId;
    const previousInbox = conversation.inboxId;
    conversation.assigneeId = change.assigneeId;
    conversation.inboxId = change.inboxId ?? conversation.inboxId;
    conversation.routingReason = change.assigneeId ? change.reason : RoutingReason.QUEUE;
    conversation.queuedAt = change.assigneeId ? null : (conversation.queuedAt ?? new Date());
    await tx.manager.query(
      `UPDATE conversation SET assignee_id = $2, inbox_id = $3, routing_reason = $4, queued_at = $5, updated_at = now()
        WHERE id = $1`,
      [
        conversation.id,
        conversation.assigneeId,
        conversation.inboxId,
        conversation.routingReason,
        conversation.queuedAt,
      ],
    );
    if (change.assigneeId) {
      await tx.manager.query('UPDATE staff SET last_assigned_at = now() WHERE id = $1', [
        change.assigneeId,
      ]);
    }
    await tx.manager.insert(RoutingDecision, {
      organizationId: conversation.organizationId,
      conversationId: conversation.id,
      reason: change.assigneeId ? change.reason : RoutingReason.QUEUE,
      assigneeId: change.assigneeId,
      inboxId: conversation.inboxId,
      decidedByKind: change.actor.kind,
      decidedById: change.actor.id,
      decidedByName: change.actor.name,
      note: change.note ?? null,
    });

    const kind = !change.assigneeId
      ? ConversationEventKind.QUEUED
      : change.reason === RoutingReason.MANUAL
        ? ConversationEventKind.ASSIGNED
        : ConversationEventKind.ROUTED;
    emitConversationEvent(tx, conversation, kind, change.actor);
    if (previousInbox !== conversation.inboxId) {
      // Watchers of the inbox it left see it go.
      emitConversationEvent(tx, conversation, kind, change.actor, undefined, previousInbox);
    }
    if (previousAssignee !== change.assigneeId) {
      // L6: a ticket given to someone else is moved; a first assignment only frees a lock that
      // a co-worker held on it.
      await this.locks.ticketMoved(
        tx,
        conversation,
        change.actor,
        change.note ?? `${change.actor.name} reassigned it`,
        {
          keepHolder: change.assigneeId ?? undefined,
          onlyIfHeld: !previousAssignee,
        },
      );
      if (previousAssignee) {
        await this.announce(
          tx,
          conversation,
          previousAssignee,
          AssignmentEventKind.UNASSIGNED,
          change.actor,
        );
      }
      if (change.assigneeId) {
        await this.announce(
          tx,
          conversation,
          change.assigneeId,
          AssignmentEventKind.ASSIGNED,
          change.actor,
        );
      }
    }
  }

  private async announce(
    tx: Tx,
    conversation: Conversation,
    staffId: string,
    kind: AssignmentEventKind,
    actor: ActorRef,
  ): Promise<void> {
    const payload: AssignmentEventPayload = { kind, conversation: snapshotOf(conversation), actor };
    tx.emit(
      Streams.staffAssignments(conversation.organizationId, staffId),
      conversation.organizationId,
      payload,
    );
  }
}
