import type { AccessPolicy } from '../../authz/access-policy';
import type { Config } from '../../config';
import { type ActorRef, type Auth, SYSTEM_ACTOR, actorOf } from '../../context/auth';
import { hydrate } from '../../db/rows';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Conversation } from '../../entities/conversation.entity';
import { DedicatedHero } from '../../entities/dedicated-hero.entity';
import { Channel, ConversationStatus, RoutingReason } from '../../entities/enums';
import type { Staff } from '../../entities/staff.entity';
import { ConflictError, DomainError, ErrorCode, ForbiddenError } from '../../errors/domain-error';
import type { Logger } from '../../logger';
import type { EventHub } from '../../subscriptions/event-hub';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Streams } from '../../subscriptions/topics';
import { CoalescedRuns } from '../../util/coalesced-runs';
import type { Assignments } from './assignments';
import type { RoutingStore } from './routing.store';

/** Where a new conversation goes, and why (R2–R6, R8). */
export interface RoutingPlan {
  /** The inbox it lives in. */
  inboxId: string;
  /** Given straight to this agent (the hero); otherwise the inbox's next available agent. */
  heroAgentId?: string;
  reason: RoutingReason;
  note: string;
}

/**
 * Most routings one statement makes: the batch is planned once (the agents ranked and locked,
 * their conversations counted) and its events appended together at its end, so the inbox's
 * stream is held once per batch; the first routing's event waits for the batch (well under
 * 0.1 ms a routing). Larger batches measured no faster.
 */
const ROUTE_BATCH = 16;

const FROM_QUEUE_NOTE = 'an agent became available: the oldest waiting conversation';

/**
 * The routing engine: heroes with their channel fallbacks, the next available agent under
 * capacity, and FIFO queues drained whenever capacity appears, on whichever instance. Claims are
 * decided in Postgres (routing.sql, through the RoutingStore: the agent's row is locked and their
 * conversations counted under it; queue heads are taken `FOR UPDATE SKIP LOCKED`), never
 * read-then-write in Node.
 */
export class RoutingService {
  /**
   * One drain per inbox at a time on this instance: a change that frees capacity while the
   * inbox drains makes that drain go round once more instead of starting a rival beside it
   * (drains of one inbox compete for the same agents and heads, and the stream's row).
   */
  private readonly drains = new CoalescedRuns<number>((earlier, later) => earlier + later);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly store: RoutingStore,
    private readonly access: AccessPolicy,
    private readonly assignments: Assignments,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly hub: EventHub,
  ) {}

  private get ttl(): string {
    return `${this.config.lockTtlSeconds} seconds`;
  }

  /** R1–R6: where a new conversation of this customer on this channel goes. */
  async plan(
    tx: Tx,
    customerId: string,
    channel: Channel,
    requestedInboxId: string,
  ): Promise<RoutingPlan> {
    const hero = await tx.manager.findOneBy(DedicatedHero, { customerId });
    if (hero?.inboxId) {
      return {
        inboxId: hero.inboxId,
        reason: RoutingReason.HERO_INBOX,
        note: 'the hero is an inbox: its next available agent',
      };
    }
    if (!hero?.agentId) {
      return {
        inboxId: requestedInboxId,
        reason: RoutingReason.NEXT_AVAILABLE,
        note: 'no hero: the next available agent',
      };
    }
    const agentId = hero.agentId;
    if (await this.isAvailable(tx, agentId)) {
      return {
        inboxId: requestedInboxId,
        heroAgentId: agentId,
        reason: RoutingReason.HERO,
        note: 'the hero is available',
      };
    }
    switch (channel) {
      case Channel.EMAIL:
      case Channel.VOICEMAIL:
        return {
          inboxId: requestedInboxId,
          heroAgentId: agentId,
          reason: RoutingReason.HERO_REGARDLESS,
          note: `${channel.toLowerCase()} goes to the hero, available or not`,
        };
      case Channel.VOICE:
        return {
          inboxId: await this.defaultVoiceInbox(tx, hero.organizationId, requestedInboxId),
          reason: RoutingReason.HERO_UNAVAILABLE_VOICE_INBOX,
          note: 'the hero is unavailable: an agent of the default voice inbox',
        };
      default: {
        const [row] = (await tx.manager.query('SELECT default_inbox_id FROM staff WHERE id = $1', [
          agentId,
        ])) as Array<{
          default_inbox_id: string | null;
        }>;
        return {
          inboxId: row?.default_inbox_id ?? requestedInboxId,
          reason: RoutingReason.HERO_UNAVAILABLE_HERO_INBOX,
          note: "the hero is unavailable: the next available agent of the hero's inbox",
        };
      }
    }
  }

  /** Carries a plan out: the hero, or the next available agent of the inbox, or its queue. */
  async apply(
    tx: Tx,
    conversation: Conversation,
    plan: RoutingPlan,
    actor: ActorRef,
  ): Promise<void> {
    const assigneeId =
      plan.heroAgentId ?? (await this.claimAgent(tx, conversation.organizationId, plan.inboxId));
    await this.assignments.change(tx, conversation, {
      assigneeId,
      inboxId: plan.inboxId,
      reason: plan.reason,
      actor,
      note: assigneeId ? plan.note : `${plan.note}; nobody can take it: it waits in the queue`,
    });
  }

  /** Gives a conversation to the next available agent of an inbox, or puts it in the queue. */
  async assignNextAvailable(
    tx: Tx,
    conversation: Conversation,
    inboxId: string,
    reason: RoutingReason,
    actor: ActorRef,
    note: string,
  ): Promise<string | null> {
    const assigneeId = await this.claimAgent(tx, conversation.organizationId, inboxId);
    await this.assignments.change(tx, conversation, { assigneeId, inboxId, reason, actor, note });
    return assigneeId;
  }

  /** R9: routes an inbox's waiting conversations, oldest first, while agents can take them. */
  drainInbox(organizationId: string, inboxId: string): Promise<number> {
    return this.drains.run(inboxId, () => this.drainOnce(organizationId, inboxId));
  }

  private async drainOnce(organizationId: string, inboxId: string): Promise<number> {
    let routed = 0;
    for (;;) {
      const batch = await this.routeQueue(organizationId, inboxId, ROUTE_BATCH);
      routed += batch;
      // Fewer than asked: nothing waits, or nobody can take more (now).
      if (batch < ROUTE_BATCH) return routed;
    }
  }

  /** Someone may have become available (online, a live window): drain the inboxes they work. */
  async drainForAgent(organizationId: string, staffId: string): Promise<number> {
    const inboxes = (await this.uow.dataSource.query(
      `SELECT DISTINCT c.inbox_id FROM conversation c JOIN inbox_member m ON m.inbox_id = c.inbox_id AND m.staff_id = $1
        WHERE c.organization_id = $2 AND c.status = 'OPEN' AND c.assignee_id IS NULL AND c.queued_at IS NOT NULL
          AND c.deleted_at IS NULL`,
      [staffId, organizationId],
    )) as Array<{ inbox_id: string }>;
    let routed = 0;
    for (const { inbox_id } of inboxes) routed += await this.drainInbox(organizationId, inbox_id);
    return routed;
  }

  /** The safety net (a job on every instance): every inbox with a queue. */
  async drainAll(): Promise<number> {
    const queues = (await this.uow.dataSource.query(
      `SELECT DISTINCT organization_id, inbox_id FROM conversation
        WHERE status = 'OPEN' AND assignee_id IS NULL AND queued_at IS NOT NULL AND deleted_at IS NULL`,
    )) as Array<{ organization_id: string; inbox_id: string }>;
    let routed = 0;
    for (const queue of queues)
      routed += await this.drainInbox(queue.organization_id, queue.inbox_id);
    return routed;
  }

  /** Runs `drainInbox` once the caller's transaction has committed (capacity it freed). */
  drainAfterCommit(tx: Tx, organizationId: string, inboxId: string): void {
    tx.afterCommit(() => this.drainInbox(organizationId, inboxId));
  }

  /** reassignToHero: the customer's hero takes this conversation now. */
  async reassignToHero(auth: Auth, conversationId: string): Promise<Conversation> {
    return this.uow.run(async (tx) => {
      const conversation = await this.access.requireConversation(tx.manager, auth, conversationId, {
        forUpdate: true,
      });
      if (conversation.status !== ConversationStatus.OPEN) {
        throw new ConflictError(`The conversation is ${conversation.status.toLowerCase()}`, {
          status: conversation.status,
        });
      }
      const hero = await tx.manager.findOneBy(DedicatedHero, {
        customerId: conversation.customerId,
      });
      if (!hero) throw new ConflictError('The customer has no dedicated hero');
      const actor = actorOf(auth);
      if (hero.agentId) {
        if (conversation.assigneeId !== hero.agentId) {
          await this.assignments.change(tx, conversation, {
            assigneeId: hero.agentId,
            reason: RoutingReason.REASSIGNED_TO_HERO,
            actor,
            note: `${actor.name} reassigned it to the hero`,
          });
        }
      } else if (hero.inboxId && conversation.inboxId !== hero.inboxId) {
        await this.assignNextAvailable(
          tx,
          conversation,
          hero.inboxId,
          RoutingReason.REASSIGNED_TO_HERO,
          actor,
          `${actor.name} reassigned it to the hero inbox`,
        );
      }
      return conversation;
    });
  }

  /**
   * R7, in the deactivation's transaction: hero assignments of the agent stay, with the agent
   * replaced by their inbox; their open conversations go to an available agent of each
   * conversation's inbox, or wait in its queue.
   */
  async onDeactivated(tx: Tx, staff: Staff, actor: ActorRef): Promise<void> {
    await tx.manager.query(
      `UPDATE dedicated_hero h
          SET agent_id = NULL,
              inbox_id = coalesce($2::uuid, (SELECT default_inbox_id FROM organization WHERE id = h.organization_id)),
              set_by_kind = $3, set_by_id = $4, set_by_name = $5, set_at = now()
        WHERE agent_id = $1`,
      [staff.id, staff.defaultInboxId, actor.kind, actor.id, actor.name],
    );
    const open = (await tx.manager.query(
      `SELECT * FROM conversation WHERE assignee_id = $1 AND status = 'OPEN' AND deleted_at IS NULL
        ORDER BY created_at, id FOR UPDATE`,
      [staff.id],
    )) as Record<string, unknown>[];
    for (const row of open) {
      const conversation = hydrate(tx.manager.connection, Conversation, row);
      conversation.assigneeId = staff.id;
      await this.assignNextAvailable(
        tx,
        conversation,
        conversation.inboxId,
        RoutingReason.ASSIGNEE_DEACTIVATED,
        actor,
        `${staff.name} was deactivated: another agent of the inbox`,
      );
    }
  }

  async isAvailable(tx: Tx, staffId: string): Promise<boolean> {
    return this.store.isAvailable(tx.manager, staffId, this.ttl);
  }

  /** C12: a paused agent takes nothing (a campaign take asks this under the taker's lock). */
  async isPaused(tx: Tx, staffId: string): Promise<boolean> {
    return this.store.isPaused(tx.manager, staffId);
  }

  /** R8 in one statement: the next available agent of the inbox, row locked; null when none. */
  async claimAgent(tx: Tx, organizationId: string, inboxId: string): Promise<string | null> {
    return this.store.claimAgent(tx.manager, organizationId, inboxId, this.ttl);
  }

  /**
   * An agent taking a conversation for themselves respects the inbox's capacity
   * (CAPACITY_REACHED). The agent's row lock orders this against routing, which fills agents under
   * the same lock.
   */
  async requireUnderCapacity(tx: Tx, staffId: string, inboxId: string): Promise<void> {
    await tx.manager.query('SELECT 1 FROM staff WHERE id = $1 FOR UPDATE', [staffId]);
    const held = await this.store.openCount(tx.manager, staffId, inboxId);
    if (held && held.open >= held.capacity) {
      throw new DomainError(
        ErrorCode.CAPACITY_REACHED,
        `You already hold ${held.open} open conversations of this inbox, its maximum`,
        {
          capacity: held.capacity,
        },
      );
    }
  }

  /**
   * Up to `max` routings from the queue in one statement committed on its own (the claims, the
   * heads, the history, the events); publishes its events and answers how many it routed.
   */
  private async routeQueue(organizationId: string, inboxId: string, max: number): Promise<number> {
    const { routed, events } = await this.store.routeQueue(
      organizationId,
      inboxId,
      this.ttl,
      SYSTEM_ACTOR,
      FROM_QUEUE_NOTE,
      max,
    );
    if (events.length) this.uow.publishEvents(events);
    return routed;
  }

  private async defaultVoiceInbox(
    tx: Tx,
    organizationId: string,
    fallback: string,
  ): Promise<string> {
    const [row] = (await tx.manager.query(
      'SELECT id FROM inbox WHERE organization_id = $1 AND is_default_voice',
      [organizationId],
    )) as Array<{ id: string }>;
    return row?.id ?? fallback;
  }

  /** Conversations given to or taken from the caller, from the resume cursor on. */
  subscribeAssignments(auth: Auth, after?: number): AsyncIterableIterator<EventEnvelope> {
    if (!auth.staffId) throw new ForbiddenError('Only staff are assigned conversations');
    return this.hub.subscribe(Streams.staffAssignments(auth.organizationId, auth.staffId), {
      after,
    });
  }

  /** Logs instead of throwing: used where routing is a consequence, not the request. */
  async drainQuietly(work: () => Promise<number>): Promise<void> {
    await work().catch((error: unknown) => this.logger.error('routing the queue failed', error));
  }
}
