import type { DataSource, EntityManager } from 'typeorm';
import type { ActorRef } from '../../context/auth';
import type { EventEnvelope, PendingEvent } from '../../db/events';
import { preparedQuery } from '../../db/prepared';
import type { TicketLockSnapshot } from '../../subscriptions/payloads';

/** What a lock operation answers (the functions of lock.sql). */
export interface LockOutcome {
  outcome:
    | 'ACQUIRED'
    | 'LOCKED_BY_OTHER'
    | 'NOT_FOUND'
    | 'SESSION_ENDED'
    | 'NOT_HELD'
    | 'RELEASED'
    | 'ENTERED';
  lock?: TicketLockSnapshot;
  /** The lock streams it logged events to, pending: to number now that it has committed. */
  events?: string[];
}

/** A window acting on a ticket. */
export interface TicketCall {
  organizationId: string;
  conversationId: string;
  /** The window; null for a caller without one (an API key forcing a release). */
  sessionId: string | null;
  staffId: string | null;
  /** The caller sees every inbox (seesAllInboxes): visibility then needs no membership. */
  seesAll: boolean;
  /** A window not seen for this long is dead, its lock free to take. */
  ttl: string;
  actor: ActorRef;
}

export interface TicketMove {
  organizationId: string;
  conversationId: string;
  inboxId: string;
  actor: ActorRef;
  note: string;
  /** The new assignee: their own lock stays. */
  keepStaffId: string | null;
  /** Only a note when a lock was released (a first assignment moves nothing). */
  onlyIfHeld: boolean;
}

/** The inbox's live locks and the seq they are current at, with what it numbered on its way. */
export interface LockSnapshotRow {
  seq: number;
  locks: TicketLockSnapshot[];
  events: EventEnvelope[];
}

/**
 * The co-working lock functions (lock.sql): the only TypeScript that names them. An operation is
 * one statement that commits on its own and leaves its events pending; the functions that run in
 * a caller's transaction answer their events for the caller to emit.
 */
export class LockStore {
  constructor(private readonly dataSource: DataSource) {}

  /** L1, L2, L8–L11: the window opens (and locks) the ticket. */
  openTicket(call: TicketCall): Promise<LockOutcome> {
    return this.operation(
      'SELECT tandem_open_ticket($1, $2, $3, $4, $5, $6, $7) AS result',
      ticketArgs(call),
    );
  }

  /** L3: the window lets go of the ticket. */
  releaseTicket(call: TicketCall): Promise<LockOutcome> {
    return this.operation(
      'SELECT tandem_release_ticket($1, $2, $3, $4, $5, $6, $7) AS result',
      ticketArgs(call),
    );
  }

  /** L5: the caller takes the ticket from its holder (without a window: only frees it). */
  forceReleaseTicket(call: TicketCall): Promise<LockOutcome> {
    return this.operation(
      'SELECT tandem_force_release_ticket($1, $2, $3, $4, $5, $6, $7) AS result',
      ticketArgs(call),
    );
  }

  /** L3: the window works in this inbox now (null: in none); a lock it held elsewhere goes. */
  enterInbox(
    sessionId: string,
    inboxId: string | null,
    ttl: string,
    actor: ActorRef,
    note: string,
  ): Promise<LockOutcome> {
    return this.operation('SELECT tandem_enter_inbox($1, $2, $3, $4, $5) AS result', [
      sessionId,
      inboxId,
      ttl,
      actor,
      note,
    ]);
  }

  /** L4: releases the locks of windows not seen within the TTL; answers the streams it logged to. */
  async sweepDeadLocks(ttl: string, actor: ActorRef): Promise<string[]> {
    const [row] = (await this.dataSource.query(
      'SELECT tandem_sweep_dead_locks($1, $2) AS streams',
      [ttl, actor],
    )) as Array<{ streams: string[] }>;
    return row?.streams ?? [];
  }

  /** L7: the inbox's live locks and their seq, numbering what had committed unnumbered first. */
  async snapshot(organizationId: string, inboxId: string, ttl: string): Promise<LockSnapshotRow> {
    const [row] = await preparedQuery<{ snapshot: LockSnapshotRow }>(
      this.dataSource,
      'SELECT tandem_lock_snapshot($1, $2, $3) AS snapshot',
      [organizationId, inboxId, ttl],
    );
    return row?.snapshot ?? { seq: 0, locks: [], events: [] };
  }

  /**
   * L3, in the caller's transaction: windows that ended give up their ticket (L8: to another live
   * window of the person that has it open, if any).
   */
  async releaseSessionLocks(
    manager: EntityManager,
    sessionIds: string[],
    ttl: string,
    actor: ActorRef,
    note: string,
  ): Promise<PendingEvent[]> {
    const [row] = (await manager.query(
      'SELECT tandem_release_session_locks($1, $2, $3, $4) AS events',
      [sessionIds, ttl, actor, note],
    )) as Array<{ events: PendingEvent[] }>;
    return row?.events ?? [];
  }

  /** L6, in the caller's transaction: the ticket was closed, archived, deleted or reassigned. */
  async ticketMoved(manager: EntityManager, move: TicketMove): Promise<PendingEvent[]> {
    const [row] = (await manager.query(
      'SELECT tandem_ticket_moved($1, $2, $3, $4, $5, $6, $7) AS events',
      [
        move.organizationId,
        move.conversationId,
        move.inboxId,
        move.actor,
        move.note,
        move.keepStaffId,
        move.onlyIfHeld,
      ],
    )) as Array<{ events: PendingEvent[] }>;
    return row?.events ?? [];
  }

  /** One lock operation: a statement that commits on its own, as a prepared statement. */
  private async operation(text: string, args: unknown[]): Promise<LockOutcome> {
    const [row] = await preparedQuery<{ result: LockOutcome }>(this.dataSource, text, args);
    return row?.result as LockOutcome;
  }
}

function ticketArgs(call: TicketCall): unknown[] {
  return [
    call.organizationId,
    call.conversationId,
    call.sessionId,
    call.staffId,
    call.seesAll,
    call.ttl,
    call.actor,
  ];
}
