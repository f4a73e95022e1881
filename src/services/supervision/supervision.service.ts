import type { AccessPolicy } from '../../authz/access-policy';
import { type ActorRef, actorOf, type Auth } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { writeChanges } from '../../db/write-changes';
import { AssistOutcome } from '../../entities/assist-session.entity';
import { AuditEventKind } from '../../entities/audit-event.entity';
import { Conversation } from '../../entities/conversation.entity';
import { Role, StaffStatus } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';
import { BadInputError, ConflictError, ForbiddenError } from '../../errors/domain-error';
import { AgentSupervisionKind, type AgentSupervisionPayload } from '../../subscriptions/payloads';
import { CloseCodes } from '../../subscriptions/session-registry';
import { type CampaignMonitorMessage, Streams, Topics } from '../../subscriptions/topics';
import type { AssistService } from '../assist/assist.service';
import type { AuditService } from '../audit/audit.service';
import type { AuthService } from '../auth/auth.service';
import type { QueueService } from '../campaign/queue.service';
import type { RoutingService } from '../routing/routing.service';

/** What a supervisor did to an agent, and how many sign-ins it ended (disconnect). */
export interface DisconnectResult {
  agent: Staff;
  sessionsRevoked: number;
  /** Their active campaign interactions, back at the front of their queues (C14). */
  requeued: Conversation[];
}

/**
 * A supervisor's actions on an agent (C12, C14): pause, resume, disconnect. SUPERVISOR and ADMIN
 * (the permission is at the resolver); a SUPERVISOR acts on agents and dispatchers, not on other
 * supervisors or admins. Every action is audited and told on the agent's supervision stream.
 */
export class SupervisionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly audit: AuditService,
    private readonly auth: AuthService,
    private readonly assist: AssistService,
    private readonly routing: RoutingService,
    private readonly queue: QueueService,
  ) {}

  /** C12: the agent is offered and may take nothing new until resumed; the reason is kept. */
  async pause(auth: Auth, agentId: string, reason: string): Promise<Staff> {
    const why = reason.trim();
    if (!why) throw new BadInputError('reason', 'Say why the agent is paused');
    return this.uow.run(async (tx) => {
      const agent = await this.requireSupervised(tx, auth, agentId);
      if (!agent.active) throw new ConflictError('This staff member is deactivated');
      // Pausing a paused agent keeps the moment it began and records the new reason.
      await writeChanges(tx.manager, Staff, agent, {
        pausedAt: agent.pausedAt ?? new Date(),
        pauseReason: why,
      });
      await this.record(tx, auth, agent, AgentSupervisionKind.PAUSED, why);
      return agent;
    });
  }

  /** C12: offered work again (what waits in their inboxes may come to them at once). */
  async resume(auth: Auth, agentId: string): Promise<Staff> {
    return this.uow.run(async (tx) => {
      const agent = await this.requireSupervised(tx, auth, agentId);
      if (!agent.pausedAt) return agent; // not paused: nothing to do, nothing to record
      await writeChanges(tx.manager, Staff, agent, { pausedAt: null, pauseReason: null });
      await this.record(tx, auth, agent, AgentSupervisionKind.RESUMED, null);
      tx.afterCommit(() => this.routing.drainForAgent(agent.organizationId, agent.id));
      return agent;
    });
  }

  /**
   * C14: every sign-in of the agent is revoked in one transaction: tokens are refused from the
   * commit on, every instance closes their sockets with 4403 (a supervisor disconnected them),
   * their windows' locks are released (watchers told), their assist session ends DISCONNECTED,
   * and they are OFFLINE until they sign in again and say otherwise.
   */
  async disconnect(auth: Auth, agentId: string): Promise<DisconnectResult> {
    return this.uow.run(async (tx) => {
      const agent = await this.requireSupervised(tx, auth, agentId);
      if (agent.id === auth.staffId) throw new BadInputError('agentId', 'Sign out instead');
      const actor = actorOf(auth);
      if (agent.status !== StaffStatus.OFFLINE)
        await writeChanges(tx.manager, Staff, agent, { status: StaffStatus.OFFLINE });
      // Before the sign-ins go, which would otherwise end it as SIGNED_OUT.
      await this.assist.endAllFor(tx, agent.id, AssistOutcome.DISCONNECTED, actor);
      const revoked = await this.auth.revokeSessions(
        tx,
        { staffId: agent.id },
        `a supervisor (${auth.name}) disconnected you: sign in again`,
        actor,
        CloseCodes.DisconnectedBySupervisor,
      );
      const signIns = (
        (await tx.manager.query(
          `SELECT count(*)::int AS n FROM client_session WHERE id = ANY($1) AND kind = 'SIGN_IN'`,
          [revoked],
        )) as Array<{ n: number }>
      )[0]!.n;
      const requeued = await this.requeueInteractionsOf(tx, agent, actor);
      await this.record(tx, auth, agent, AgentSupervisionKind.DISCONNECTED, null, {
        sessionsRevoked: signIns,
        windowsClosed: revoked.length - signIns,
        interactionsRequeued: requeued.map((conversation) => conversation.id),
      });
      return { agent, sessionsRevoked: signIns, requeued };
    });
  }

  /**
   * C14: the agent's open campaign interactions go back to their queues. Their rows are locked
   * (oldest wait first, the order every other writer of the queue locks in); each keeps its
   * `waitingSince`, so it is at the front, ahead of what arrived after it.
   */
  private async requeueInteractionsOf(
    tx: Tx,
    agent: Staff,
    actor: ActorRef,
  ): Promise<Conversation[]> {
    const held = await tx.manager
      .getRepository(Conversation)
      .createQueryBuilder('c')
      .where(
        "c.assignee_id = :agent AND c.campaign_id IS NOT NULL AND c.status = 'OPEN' AND c.deleted_at IS NULL",
        { agent: agent.id },
      )
      .orderBy('c.waiting_since', 'ASC', 'NULLS LAST')
      .addOrderBy('c.id', 'ASC')
      .setLock('pessimistic_write')
      .getMany();
    for (const conversation of held) await this.queue.requeue(tx, conversation, actor);
    return held;
  }

  /** The staff member, in the caller's organization (else NOT_FOUND), row locked. */
  private async requireSupervised(tx: Tx, auth: Auth, staffId: string): Promise<Staff> {
    const staff = await this.access.requireStaff(tx.manager, auth, staffId, { forUpdate: true });
    if (
      auth.role === Role.SUPERVISOR &&
      (staff.role === Role.ADMIN || staff.role === Role.SUPERVISOR)
    )
      throw new ForbiddenError('Supervisors supervise agents and dispatchers');
    return staff;
  }

  private async record(
    tx: Tx,
    auth: Auth,
    agent: Staff,
    kind: AgentSupervisionKind,
    reason: string | null,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    const actor = actorOf(auth);
    const payload: AgentSupervisionPayload = { kind, staffId: agent.id, reason, actor };
    tx.emit(
      Streams.staffSupervision(agent.organizationId, agent.id),
      agent.organizationId,
      payload,
    );
    // C12: pause and resume are events on the monitors of the agent's campaigns.
    const changed: CampaignMonitorMessage = {
      organizationId: agent.organizationId,
      staffIds: [agent.id],
    };
    tx.broadcast(Topics.campaignMonitor, changed);
    await this.audit.record(
      tx,
      agent.organizationId,
      actor,
      AUDIT_KINDS[kind],
      {
        type: 'Staff',
        id: agent.id,
      },
      { ...data, ...(reason === null ? {} : { reason }) },
    );
  }
}

const AUDIT_KINDS: Record<AgentSupervisionKind, AuditEventKind> = {
  [AgentSupervisionKind.PAUSED]: AuditEventKind.AGENT_PAUSED,
  [AgentSupervisionKind.RESUMED]: AuditEventKind.AGENT_RESUMED,
  [AgentSupervisionKind.DISCONNECTED]: AuditEventKind.AGENT_DISCONNECTED,
};
