import type { AccessPolicy } from '../../authz/access-policy';
import { isUuid } from '../../authz/access-policy';
import { seesAllInboxes } from '../../authz/permissions';
import type { Config } from '../../config';
import { type ActorRef, type Auth, SYSTEM_ACTOR, actorOf } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import type { Conversation } from '../../entities/conversation.entity';
import {
  DomainError,
  ErrorCode,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
} from '../../errors/domain-error';
import type { Logger } from '../../logger';
import type { EventHub, StreamSnapshot } from '../../subscriptions/event-hub';
import type { StreamAccessService } from '../session/stream-access.service';
import { type TicketLockSnapshot, TicketLockEventKind } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Streams } from '../../subscriptions/topics';
import { SharedReads } from '../../util/shared-reads';
import type { LockOutcome, LockStore, TicketCall } from './lock.store';

export type OpenTicketResult =
  { acquired: true; lock: TicketLockSnapshot } | { acquired: false; lock: TicketLockSnapshot };

export class LockedError extends DomainError {
  constructor(lock: TicketLockSnapshot) {
    super(
      ErrorCode.LOCKED,
      `${lock.holder?.name ?? 'Someone'} holds this ticket: force-release it to take it`,
      {
        holderId: lock.holder?.id,
      },
    );
  }
}

/**
 * Co-working ticket locks (L1–L11). The decisions are made by SQL functions (lock.sql), one
 * statement per operation, so that they hold across server instances; this service picks the
 * caller's window, runs them, and once the statement has committed has its events numbered and
 * published (numbering them inside it would make an inbox's windows wait for each other's
 * commits).
 */
export class LockService {
  /** Snapshot reads per inbox stream, shared by the subscribers arriving while one is under way. */
  private readonly snapshots = new SharedReads<StreamSnapshot>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly store: LockStore,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly streams: StreamAccessService,
  ) {}

  private get ttl(): string {
    return `${this.config.lockTtlSeconds} seconds`;
  }

  async open(auth: Auth, conversationId: string): Promise<OpenTicketResult> {
    const window = requireWindow(auth);
    const result = await this.committed(
      await this.store.openTicket(this.ticketCall(auth, conversationId, () => window)),
      conversationId,
    );
    const lock = result.lock as TicketLockSnapshot;
    return result.outcome === 'ACQUIRED' ? { acquired: true, lock } : { acquired: false, lock };
  }

  /** Releases the caller's lock on the ticket; a ticket that is not held is not an error. */
  async release(auth: Auth, conversationId: string): Promise<TicketLockSnapshot | null> {
    const result = await this.committed(
      await this.store.releaseTicket(
        this.ticketCall(auth, conversationId, () => requireWindow(auth)),
      ),
      conversationId,
    );
    if (result.outcome === 'LOCKED_BY_OTHER')
      throw new LockedError(result.lock as TicketLockSnapshot);
    return result.outcome === 'RELEASED' ? (result.lock ?? null) : null;
  }

  /** Takes the ticket from whoever holds it (L5); an API key only frees it. */
  async forceRelease(auth: Auth, conversationId: string): Promise<TicketLockSnapshot | null> {
    const window = () => (auth.staffId ? requireWindow(auth) : null);
    const result = await this.committed(
      await this.store.forceReleaseTicket(this.ticketCall(auth, conversationId, window)),
      conversationId,
    );
    return result.outcome === 'ACQUIRED' ? (result.lock ?? null) : null;
  }

  /** The window works in this inbox now; a lock it held elsewhere is released (L3). */
  async enterInbox(auth: Auth, inboxId: string): Promise<void> {
    const inbox = await this.access.requireInbox(this.uow.dataSource.manager, auth, inboxId);
    const window = requireWindow(auth);
    await this.committed(
      await this.store.enterInbox(window, inbox.id, this.ttl, actorOf(auth), 'switched inbox'),
    );
  }

  async leaveInbox(auth: Auth): Promise<void> {
    const window = requireWindow(auth);
    await this.committed(
      await this.store.enterInbox(window, null, this.ttl, actorOf(auth), 'left the inbox'),
    );
  }

  /** Every live lock of the inbox. */
  async locks(auth: Auth, inboxId: string): Promise<TicketLockSnapshot[]> {
    const inbox = await this.access.requireInbox(this.uow.dataSource.manager, auth, inboxId);
    const snapshot = await this.snapshot(auth.organizationId, inbox.id);
    return snapshot.payload.locks as TicketLockSnapshot[];
  }

  /** A SNAPSHOT of the inbox's locks, then every change after it, in sequence (L7). */
  async subscribe(auth: Auth, inboxId: string): Promise<AsyncIterableIterator<EventEnvelope>> {
    const { value: inbox, access } = await this.streams.check(auth, (now) =>
      this.access.requireInbox(this.uow.dataSource.manager, now, inboxId),
    );
    const stream = Streams.inboxLocks(auth.organizationId, inbox.id);
    return this.hub.subscribe(stream, {
      // One snapshot read for every console of the inbox subscribing meanwhile (a reconnect
      // storm's, queued for the database together); L7 holds: each is answered by a read that
      // started after it joined the stream. No one console's departure abandons the shared read.
      snapshot: () =>
        this.snapshots.read(stream, () => this.snapshot(auth.organizationId, inbox.id)),
      access,
    });
  }

  /** Windows that closed, signed out or were revoked give up their ticket (in the caller's transaction). */
  async releaseSessions(
    tx: Tx,
    sessionIds: string[],
    actor: ActorRef,
    note: string,
  ): Promise<void> {
    if (sessionIds.length === 0) return;
    tx.emit(await this.store.releaseSessionLocks(tx.manager, sessionIds, this.ttl, actor, note));
  }

  /**
   * The ticket was closed, archived, deleted or reassigned (L6): its lock is released (unless
   * held by `keepHolder`, the new assignee) and the inbox's watchers get a note (with
   * `onlyIfHeld`, only when a lock was released).
   */
  async ticketMoved(
    tx: Tx,
    conversation: Conversation,
    actor: ActorRef,
    note: string,
    options: { keepHolder?: string; onlyIfHeld?: boolean } = {},
  ): Promise<void> {
    tx.emit(
      await this.store.ticketMoved(tx.manager, {
        organizationId: conversation.organizationId,
        conversationId: conversation.id,
        inboxId: conversation.inboxId,
        actor,
        note,
        keepStaffId: options.keepHolder ?? null,
        onlyIfHeld: options.onlyIfHeld ?? false,
      }),
    );
  }

  /**
   * Releases the locks of windows not seen within the TTL (L4), and numbers lock events an
   * instance that went away left unnumbered; safe on every instance at once. Answers how many
   * streams it had events for.
   */
  async sweep(): Promise<number> {
    const streams = await this.store.sweepDeadLocks(this.ttl, SYSTEM_ACTOR);
    await this.uow.sequence(streams);
    return streams.length + (await this.uow.sequenceStale());
  }

  /**
   * Waits for the numbering the last operations started (they answered without it): a stopping
   * instance leaves nothing for another's sweeper to find a second later.
   */
  settled(): Promise<void> {
    return this.uow.settled();
  }

  private async snapshot(organizationId: string, inboxId: string): Promise<StreamSnapshot> {
    const { seq, locks, events } = await this.store.snapshot(organizationId, inboxId, this.ttl);
    // Events it numbered on its way (their operations had committed, not yet been numbered).
    if (events.length) this.uow.publishEvents(events);
    return { seq, payload: { kind: TicketLockEventKind.SNAPSHOT, locks } };
  }

  /** The call's arguments; the conversation id is checked before the caller's `window`. */
  private ticketCall(auth: Auth, conversationId: string, window: () => string | null): TicketCall {
    if (!isUuid(conversationId)) throw new NotFoundError('Conversation', conversationId);
    return {
      organizationId: auth.organizationId,
      conversationId,
      sessionId: window(),
      staffId: auth.staffId,
      seesAll: seesAllInboxes(auth),
      ttl: this.ttl,
      actor: actorOf(auth),
    };
  }

  /**
   * An operation has committed: has what it logged numbered and published, and turns its refusals
   * into errors.
   */
  private async committed(result: LockOutcome, conversationId?: string): Promise<LockOutcome> {
    // Not awaited: the operation is done once committed, and its events reach every watcher
    // (the caller's too) through the stream. Had they to be numbered before it answered, each
    // window of a busy inbox would wait for a sequencer's commit as well as its own.
    this.uow
      .sequence(result.events ?? [])
      .catch((error: unknown) =>
        this.logger.error('numbering lock events failed (the sweeper will)', error),
      );
    if (result.outcome === 'NOT_FOUND')
      throw new NotFoundError('Conversation', conversationId as string);
    if (result.outcome === 'SESSION_ENDED')
      throw new UnauthenticatedError('This window has ended: reconnect');
    return result;
  }
}

/** Locks belong to windows (L8): a staff member's WebSocket, or the session an HTTP client names. */
function requireWindow(auth: Auth): string {
  if (!auth.staffId || !auth.clientSessionId) {
    throw new ForbiddenError('Co-working locks belong to the windows of signed-in staff');
  }
  return auth.clientSessionId;
}
