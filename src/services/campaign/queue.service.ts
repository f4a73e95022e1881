import { isUUID } from 'class-validator';
import { type ActorRef, type Auth, actorOf, SYSTEM_ACTOR } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Campaign } from '../../entities/campaign.entity';
import { Conversation } from '../../entities/conversation.entity';
import { ConversationStatus, RoutingReason } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';
import { BadInputError, ConflictError, NotFoundError } from '../../errors/domain-error';
import type { QueuedInteractionSnapshot } from '../../subscriptions/payloads';
import { ConversationEventKind } from '../../subscriptions/payloads';
import { emitConversationEvent } from '../conversation/conversation-events';
import type { Assignments } from '../routing/assignments';
import type { CampaignService } from './campaign.service';
import { CapacityReachedError, requireRoom, requireWorkingMember } from './campaign-agents';
import { emitQueueEvent, QueueEventKind } from './queue-events';

export { CapacityReachedError };

/** A waiting interaction: `status = OPEN`, nobody holds it, it has a place in the queue. */
export const WAITING = `c.status = 'OPEN' AND c.assignee_id IS NULL AND c.waiting_since IS NOT NULL AND c.deleted_at IS NULL`;

/**
 * A campaign's queue (C4, C5): pulled, not pushed. An interaction waits (oldest `waitingSince`
 * first) until a member takes it; the take is decided on the conversation's row lock, so across
 * instances one taker wins and the other is told who. A member holds at most the campaign's
 * maximum of its open interactions, counted under a lock of the member's own row (two takes of
 * one agent queue behind each other).
 */
export class QueueService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly assignments: Assignments,
  ) {}

  /** The waiting interactions of a campaign the caller sees, oldest first. */
  async waiting(auth: Auth, campaignId: string): Promise<QueuedInteractionSnapshot[]> {
    const campaign = await this.campaigns.require(this.uow.dataSource.manager, auth, campaignId);
    return this.snapshot(this.uow.dataSource.manager, campaign.id);
  }

  /** For the SNAPSHOT of queueEvents: the same list, read on the manager given. */
  async snapshot(manager: Tx['manager'], campaignId: string): Promise<QueuedInteractionSnapshot[]> {
    const rows = (await manager.query(
      `SELECT c.id, c.campaign_id, c.customer_id, c.waiting_since, k.value AS number
         FROM conversation c LEFT JOIN contact k ON k.id = c.contact_id
        WHERE c.campaign_id = $1 AND ${WAITING}
        ORDER BY c.waiting_since, c.id`,
      [campaignId],
    )) as Array<{
      id: string;
      campaign_id: string;
      customer_id: string;
      waiting_since: Date;
      number: string | null;
    }>;
    return rows.map((row) => ({
      conversationId: row.id,
      campaignId: row.campaign_id,
      customerId: row.customer_id,
      number: row.number,
      waitingSince: row.waiting_since.toISOString(),
    }));
  }

  /**
   * C4: the caller takes the oldest waiting interaction of a campaign (null when none waits), or
   * a chosen one. FORBIDDEN for a non-member or a paused agent, CAPACITY_REACHED at the
   * maximum, CONFLICT naming the taker when someone else took it first.
   */
  async take(
    auth: Auth,
    target: { campaignId?: string; conversationId?: string },
  ): Promise<Conversation | null> {
    if (!target.campaignId === !target.conversationId)
      throw new BadInputError('campaignId', 'Give either campaignId or conversationId');
    return this.uow.run(async (tx) => {
      const campaign = target.campaignId
        ? await this.campaigns.require(tx.manager, auth, target.campaignId)
        : await this.campaignOfConversation(tx, auth, target.conversationId as string);
      const taker = await requireWorkingMember(tx, auth, campaign);
      await requireRoom(tx, campaign, taker);
      const conversation = target.conversationId
        ? await this.lockChosen(tx, campaign, target.conversationId)
        : await this.lockOldest(tx, campaign);
      if (!conversation) return null;
      const actor = actorOf(auth);
      await this.assignments.change(tx, conversation, {
        assigneeId: taker.id,
        reason: RoutingReason.TAKEN,
        actor,
        note: `${actor.name} took it from campaign "${campaign.name}"`,
      });
      emitQueueEvent(
        tx,
        campaign,
        QueueEventKind.TAKEN,
        conversation,
        await this.numberOf(tx, conversation),
        actor,
      );
      return conversation;
    });
  }

  /**
   * C5: an INTEGRATION key (a bot that saw the customer leave) ends a waiting interaction as
   * ABANDONED. One that was taken meanwhile is a CONFLICT naming the taker.
   */
  async abandon(auth: Auth, conversationId: string): Promise<Conversation> {
    return this.uow.run(async (tx) => {
      const conversation = await this.lockCampaignConversation(tx, auth, conversationId);
      const campaign = await tx.manager.findOneByOrFail(Campaign, {
        id: conversation.campaignId as string,
      });
      await this.requireWaiting(tx, conversation);
      await this.markAbandoned(tx, campaign, conversation, actorOf(auth));
      return conversation;
    });
  }

  /**
   * Back to the front of its campaign's queue, keeping its `waitingSince` (C14: a disconnected
   * agent's interactions); the abandon timer restarts. For supervision, in its transaction.
   */
  async requeue(tx: Tx, conversation: Conversation, actor: ActorRef): Promise<void> {
    if (!conversation.campaignId) return;
    const campaign = await tx.manager.findOneByOrFail(Campaign, { id: conversation.campaignId });
    await tx.manager.query(
      `UPDATE conversation SET assignee_id = NULL, routing_reason = $2, requeued_at = now(),
          waiting_since = coalesce(waiting_since, created_at), updated_at = now()
        WHERE id = $1`,
      [conversation.id, RoutingReason.REQUEUED],
    );
    Object.assign(conversation, {
      assigneeId: null,
      routingReason: RoutingReason.REQUEUED,
      waitingSince: conversation.waitingSince ?? conversation.createdAt,
    });
    emitConversationEvent(tx, conversation, ConversationEventKind.QUEUED, actor);
    emitQueueEvent(
      tx,
      campaign,
      QueueEventKind.REQUEUED,
      conversation,
      await this.numberOf(tx, conversation),
      actor,
    );
  }

  /**
   * C5: interactions waiting past their campaign's abandon timeout (from `waitingSince`, or from
   * the requeue) end ABANDONED. Every instance runs it; SKIP LOCKED shares the work.
   */
  async abandonOverdue(limit = 200): Promise<number> {
    return this.uow.run(async (tx) => {
      const due = (await tx.manager.query(
        `SELECT c.id FROM conversation c JOIN campaign k ON k.id = c.campaign_id
          WHERE ${WAITING}
            AND coalesce(c.requeued_at, c.waiting_since) + k.abandon_after_seconds * interval '1 second' <= now()
          ORDER BY c.waiting_since
          LIMIT $1
          FOR UPDATE OF c SKIP LOCKED`,
        [limit],
      )) as Array<{ id: string }>;
      for (const { id } of due) {
        const conversation = await tx.manager.findOneByOrFail(Conversation, { id });
        const campaign = await tx.manager.findOneByOrFail(Campaign, {
          id: conversation.campaignId as string,
        });
        await this.markAbandoned(tx, campaign, conversation, SYSTEM_ACTOR);
      }
      return due.length;
    });
  }

  private async markAbandoned(
    tx: Tx,
    campaign: Campaign,
    conversation: Conversation,
    actor: ActorRef,
  ): Promise<void> {
    await tx.manager.query(
      `UPDATE conversation SET status = 'CLOSED', closed_at = now(), routing_reason = $2, updated_at = now()
        WHERE id = $1`,
      [conversation.id, RoutingReason.ABANDONED],
    );
    Object.assign(conversation, {
      status: ConversationStatus.CLOSED,
      closedAt: new Date(),
      routingReason: RoutingReason.ABANDONED,
    });
    emitConversationEvent(tx, conversation, ConversationEventKind.CLOSED, actor);
    emitQueueEvent(
      tx,
      campaign,
      QueueEventKind.ABANDONED,
      conversation,
      await this.numberOf(tx, conversation),
      actor,
    );
  }

  /** FIFO: the oldest waiting; one another taker holds is left to them (SKIP LOCKED). */
  private async lockOldest(tx: Tx, campaign: Campaign): Promise<Conversation | null> {
    const rows = (await tx.manager.query(
      `SELECT c.id FROM conversation c WHERE c.campaign_id = $1 AND ${WAITING}
        ORDER BY c.waiting_since, c.id LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [campaign.id],
    )) as Array<{ id: string }>;
    return rows[0] ? tx.manager.findOneByOrFail(Conversation, { id: rows[0].id }) : null;
  }

  private async lockChosen(
    tx: Tx,
    campaign: Campaign,
    conversationId: string,
  ): Promise<Conversation> {
    const conversation = await tx.manager.findOne(Conversation, {
      where: { id: conversationId, campaignId: campaign.id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!conversation || conversation.deletedAt)
      throw new NotFoundError('Conversation', conversationId);
    await this.requireWaiting(tx, conversation);
    return conversation;
  }

  /** Still waiting, or a CONFLICT saying who took it (or that it ended). */
  private async requireWaiting(tx: Tx, conversation: Conversation): Promise<void> {
    if (conversation.assigneeId) {
      const taker = await tx.manager.findOneBy(Staff, { id: conversation.assigneeId });
      throw new ConflictError(`${taker?.name ?? 'Someone'} already took this interaction`, {
        takenBy: { id: conversation.assigneeId, name: taker?.name ?? null },
      });
    }
    if (conversation.status !== ConversationStatus.OPEN || !conversation.waitingSince)
      throw new ConflictError('This interaction is no longer waiting', {
        status: conversation.status,
      });
  }

  private async campaignOfConversation(
    tx: Tx,
    auth: Auth,
    conversationId: string,
  ): Promise<Campaign> {
    const row = isUUID(conversationId)
      ? await tx.manager.findOne(Conversation, {
          where: { id: conversationId, organizationId: auth.organizationId },
          select: { id: true, campaignId: true },
        })
      : null;
    if (!row?.campaignId) throw new NotFoundError('Conversation', conversationId);
    try {
      return await this.campaigns.require(tx.manager, auth, row.campaignId);
    } catch {
      throw new NotFoundError('Conversation', conversationId);
    }
  }

  private async lockCampaignConversation(
    tx: Tx,
    auth: Auth,
    conversationId: string,
  ): Promise<Conversation> {
    const conversation = isUUID(conversationId)
      ? await tx.manager.findOne(Conversation, {
          where: { id: conversationId, organizationId: auth.organizationId },
          lock: { mode: 'pessimistic_write' },
        })
      : null;
    if (!conversation?.campaignId || conversation.deletedAt)
      throw new NotFoundError('Conversation', conversationId);
    return conversation;
  }

  private async numberOf(tx: Tx, conversation: Conversation): Promise<string | null> {
    if (!conversation.contactId) return null;
    const [row] = (await tx.manager.query('SELECT value FROM contact WHERE id = $1', [
      conversation.contactId,
    ])) as Array<{ value: string }>;
    return row?.value ?? null;
  }
}
