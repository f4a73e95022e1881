import type { AccessPolicy } from '../../authz/access-policy';
import type { Config } from '../../config';
import { type ActorRef, type Auth, type OnBehalf, SYSTEM_ACTOR, actorOf } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import {
  AGENT_OUTCOMES,
  AssistOutcome,
  type AssistSession,
} from '../../entities/assist-session.entity';
import { AuditEventKind } from '../../entities/audit-event.entity';
import type { Customer } from '../../entities/customer.entity';
import type { Channel } from '../../entities/enums';
import {
  BadInputError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
} from '../../errors/domain-error';
import type { EventHub } from '../../subscriptions/event-hub';
import { AssistChangeKind, type AssistChangePayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { snapshotOf } from '../../subscriptions/snapshot';
import { Streams } from '../../subscriptions/topics';
import type { AuditService } from '../audit/audit.service';
import { AssistStore, openAssist } from './assist.store';

export interface StartAssisting {
  /** Left out for a caller who is not a customer yet (registerCustomer binds one later). */
  customerId?: string | null;
  channel: Channel;
  service: string;
  reason?: string | null;
}

/**
 * Assist sessions (A3, A5, A7, A9): a staff member acting on a customer's behalf, one customer
 * at a time, whichever of their windows started it. Ended by the agent with an outcome, or by
 * Tandem: after ASSIST_MAX_MINUTES, at sign-out, on deactivation or disconnection.
 */
export class AssistService {
  private readonly store = new AssistStore();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
    private readonly audit: AuditService,
    private readonly config: Config,
  ) {}

  async start(auth: Auth, input: StartAssisting): Promise<AssistSession> {
    const staffId = requirePerson(auth);
    const service = input.service.trim();
    if (!service) throw new BadInputError('service', 'Name the service the customer needs');
    return this.uow.run(async (tx) => {
      const customer = input.customerId
        ? await this.access.requireCustomer(tx.manager, auth, input.customerId)
        : null;
      const actor = actorOf(auth);
      // A session past its maximum is over already: it must not stand in the way of this one.
      for (const ended of await this.store.endOverdue(tx.manager, [staffId], SYSTEM_ACTOR))
        await this.recordEnded(tx, ended, SYSTEM_ACTOR);
      const session = await this.store.insert(tx.manager, {
        organizationId: auth.organizationId,
        staffId,
        customerId: customer?.id ?? null,
        channel: input.channel,
        service,
        reason: input.reason?.trim() || null,
        startedFromSessionId: auth.clientSessionId,
        maxMinutes: this.config.assistMaxMinutes,
      });
      if (!session) throw await this.alreadyAssisting(tx, staffId);
      this.announce(tx, session, AssistChangeKind.STARTED, actor);
      await this.audit.record(
        tx,
        auth.organizationId,
        actor,
        AuditEventKind.ASSIST_STARTED,
        { type: 'Customer', id: session.customerId },
        { channel: session.channel, service: session.service, reason: session.reason },
        { customerId: session.customerId, assistSessionId: session.id },
      );
      return session;
    });
  }

  /** Ends the caller's open session with the outcome they chose (A5). */
  async end(auth: Auth, outcome: AssistOutcome, notes?: string | null): Promise<AssistSession> {
    const staffId = requirePerson(auth);
    if (!AGENT_OUTCOMES.includes(outcome))
      throw new BadInputError('outcome', `${outcome} is set by Tandem, not chosen`);
    return this.uow.run(async (tx) => {
      const actor = actorOf(auth);
      const [ended] = await this.store.end(
        tx.manager,
        `a.staff_id = $1 AND ${openAssist('a')}`,
        [staffId],
        outcome,
        actor,
        { notes: notes?.trim() || null },
      );
      if (!ended) throw new NotFoundError('AssistSession');
      await this.recordEnded(tx, ended, actor);
      return ended;
    });
  }

  /**
   * Ends the staff member's open session with a system outcome, inside the caller's transaction
   * (deactivateStaff: DEACTIVATED; the supervisors' disconnectAgent: DISCONNECTED). Call it
   * before revoking their sign-ins, which would otherwise end it as SIGNED_OUT.
   */
  async endAllFor(
    tx: Tx,
    staffId: string,
    outcome: AssistOutcome,
    actor: ActorRef,
  ): Promise<AssistSession[]> {
    return this.endWhere(tx, `a.staff_id = $1`, [staffId], outcome, actor);
  }

  /**
   * Sign-ins were revoked (signOut, a password change): the sessions of those staff members who
   * have no live sign-in left end as SIGNED_OUT. Runs in the revoking transaction.
   */
  async endSignedOut(tx: Tx, staffIds: string[], actor: ActorRef): Promise<AssistSession[]> {
    if (staffIds.length === 0) return [];
    return this.endWhere(
      tx,
      `a.staff_id = ANY($1) AND NOT EXISTS (
         SELECT 1 FROM client_session s
          WHERE s.staff_id = a.staff_id AND s.kind = 'SIGN_IN' AND s.revoked_at IS NULL AND s.expires_at > now())`,
      [staffIds],
      AssistOutcome.SIGNED_OUT,
      actor,
    );
  }

  /** Ends every session past its maximum (TIMED_OUT): a job on every instance runs it. */
  async expireDue(): Promise<number> {
    return this.uow.run(async (tx) => {
      const ended = await this.store.end(
        tx.manager,
        'a.expires_at <= now()',
        [],
        AssistOutcome.TIMED_OUT,
        SYSTEM_ACTOR,
        { skipLocked: true },
      );
      for (const session of ended) await this.recordEnded(tx, session, SYSTEM_ACTOR);
      return ended.length;
    });
  }

  /**
   * A9: who acts for `customer`, or FORBIDDEN. A staff member needs their open assist session to
   * be for this customer (it is locked until the action commits, so it cannot end half-way); an
   * API key is the customer's own channel and records no assistant.
   */
  async requireOnBehalf(tx: Tx, auth: Auth, customer: Customer): Promise<OnBehalf> {
    if (!auth.staffId) return ownChannel(auth, customer.id);
    const session = await this.store.openOf(tx.manager, auth.staffId, 'FOR SHARE');
    if (!session)
      throw new ForbiddenError(
        "Start assisting this customer first: acting on a customer's behalf needs an assist session",
      );
    if (session.customerId !== customer.id)
      throw new ForbiddenError(
        session.customerId
          ? 'You are assisting another customer: end that session to act for this one'
          : 'Your assist session is for a caller who is not a customer yet: register them, or end it',
      );
    return assisted(auth, session, customer.id);
  }

  /**
   * registerCustomer: a staff member needs an open assist session started without a customer
   * (locked until it is bound); an API key registers through the customer's own channel.
   */
  async requireRegistering(tx: Tx, auth: Auth): Promise<AssistSession | null> {
    if (!auth.staffId) return null;
    const session = await this.store.openOf(tx.manager, auth.staffId, 'FOR UPDATE');
    if (!session)
      throw new ForbiddenError(
        'Start assisting the caller first (without a customer): registering binds them to that session',
      );
    if (session.customerId)
      throw new ForbiddenError(
        'You are assisting a customer already: registering is for a caller who is not one yet',
      );
    return session;
  }

  /** Binds the caller's session to the customer just registered; answers who acted. */
  async bindRegistered(
    tx: Tx,
    auth: Auth,
    session: AssistSession | null,
    customer: Customer,
  ): Promise<OnBehalf> {
    if (!session) return ownChannel(auth, customer.id);
    const bound = await this.store.bindCustomer(tx.manager, session.id, customer.id);
    this.announce(tx, bound, AssistChangeKind.CUSTOMER_BOUND, actorOf(auth));
    return assisted(auth, bound, customer.id);
  }

  /** A SNAPSHOT of the caller's open session (or none), then every change: all their windows. */
  subscribeChanges(auth: Auth): AsyncIterableIterator<EventEnvelope> {
    const staffId = requirePerson(auth);
    const stream = Streams.staffAssist(auth.organizationId, staffId);
    return this.hub.subscribe(stream, {
      snapshot: async () => {
        const { seq, session } = await this.store.snapshot(this.uow.dataSource, stream, staffId);
        const payload: AssistChangePayload = {
          kind: AssistChangeKind.SNAPSHOT,
          session: session ? snapshotOf(session) : null,
        };
        return { seq, payload: payload as unknown as Record<string, unknown> };
      },
    });
  }

  /** Overdue sessions end TIMED_OUT at their maximum; the open ones of `where` with `outcome`. */
  private async endWhere(
    tx: Tx,
    where: string,
    parameters: unknown[],
    outcome: AssistOutcome,
    actor: ActorRef,
  ): Promise<AssistSession[]> {
    const overdue = await this.store.end(
      tx.manager,
      `${where} AND a.expires_at <= now()`,
      parameters,
      AssistOutcome.TIMED_OUT,
      SYSTEM_ACTOR,
    );
    for (const session of overdue) await this.recordEnded(tx, session, SYSTEM_ACTOR);
    const ended = await this.store.end(tx.manager, where, parameters, outcome, actor);
    for (const session of ended) await this.recordEnded(tx, session, actor);
    return ended;
  }

  private async recordEnded(tx: Tx, session: AssistSession, actor: ActorRef): Promise<void> {
    this.announce(tx, session, AssistChangeKind.ENDED, actor);
    await this.audit.record(
      tx,
      session.organizationId,
      actor,
      AuditEventKind.ASSIST_ENDED,
      { type: 'Customer', id: session.customerId },
      {
        outcome: session.outcome,
        secondsSpent: secondsSpent(session),
        staffId: session.staffId,
      },
      { customerId: session.customerId, assistSessionId: session.id },
    );
  }

  private announce(tx: Tx, session: AssistSession, kind: AssistChangeKind, actor: ActorRef): void {
    const payload: AssistChangePayload = { kind, session: snapshotOf(session), actor };
    const org = session.organizationId;
    tx.emit(Streams.staffAssist(org, session.staffId), org, payload);
  }

  /** CONFLICT naming the session the staff member has open. */
  private async alreadyAssisting(tx: Tx, staffId: string): Promise<ConflictError> {
    const current = await this.store.openOf(tx.manager, staffId);
    if (!current) return new ConflictError('Another assist session of yours just started');
    const [named] = current.customerId
      ? ((await tx.manager.query('SELECT name FROM customer WHERE id = $1', [
          current.customerId,
        ])) as Array<{ name: string }>)
      : [];
    const whom = named ? named.name : 'a caller who is not a customer yet';
    return new ConflictError(
      `You are already assisting ${whom} (${current.service}, since ${current.startedAt.toISOString()}): end that session first`,
      { assistSessionId: current.id, customerId: current.customerId },
    );
  }
}

/** Seconds between the start and the end of an ended session. */
export function secondsSpent(session: Pick<AssistSession, 'startedAt' | 'endedAt'>): number | null {
  return session.endedAt
    ? Math.round((session.endedAt.getTime() - session.startedAt.getTime()) / 10) / 100
    : null;
}

function requirePerson(auth: Auth): string {
  if (!auth.staffId) throw new ForbiddenError('Only staff assist customers: an API key is nobody');
  return auth.staffId;
}

function ownChannel(auth: Auth, customerId: string): OnBehalf {
  return {
    organizationId: auth.organizationId,
    actor: actorOf(auth),
    customerId,
    assistedById: null,
    assistSessionId: null,
  };
}

function assisted(auth: Auth, session: AssistSession, customerId: string): OnBehalf {
  return {
    organizationId: auth.organizationId,
    actor: actorOf(auth),
    customerId,
    assistedById: session.staffId,
    assistSessionId: session.id,
  };
}
