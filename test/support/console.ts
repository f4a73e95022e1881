import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { TicketLockEventsDocument, type TicketLockEventsSubscription } from '../generated/graphql';
import type { CloseEvent } from './ws';
import { eventually } from './factories';

type LockEvent = TicketLockEventsSubscription['ticketLockEvents'];

/**
 * A console as the README tells clients to build one: a graphql-ws client that reconnects by
 * itself (backoff with jitter) with `connectionParams.sessionId` (the window it was, to keep its
 * lock), and whose subscriptions resynchronize: resume cursors carried in their variables (the
 * client sends the same payload again on reconnecting), lock state from the new SNAPSHOT.
 */
export class ReconnectingConsole {
  readonly client: Client;
  /** The window of each connection, in order, and whether it was taken back. */
  readonly connections: Array<{ sessionId: string; resumed: boolean }> = [];
  /** Closes of established connections (a failed attempt to connect is not one). */
  readonly closes: CloseEvent[] = [];
  /** Attempts that failed before the ack (e.g. no instance to take the socket yet). */
  failedAttempts = 0;
  private established = false;

  constructor(wsUrl: string, token: string) {
    this.client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 1000,
      shouldRetry: () => true,
      // Backoff with full jitter, so that a thousand consoles do not come back in one instant.
      // Unref'd: graphql-ws cannot cancel a wait under way when the console is disposed, and a
      // timer still pending when a test file ends holds its jest worker up to 2 s after its last
      // test ("A worker process has failed to exit gracefully").
      retryWait: (retries) =>
        new Promise((resolve) =>
          setTimeout(resolve, Math.random() * Math.min(2000, 100 * 2 ** retries)).unref(),
        ),
      connectionParams: () => ({
        authorization: `Bearer ${token}`,
        ...(this.sessionId ? { sessionId: this.sessionId } : {}),
      }),
      onNonLazyError: () => {},
      on: {
        connected: (_socket, payload) => {
          this.established = true;
          this.connections.push(payload as { sessionId: string; resumed: boolean });
        },
        closed: (event) => {
          const { code, reason } = event as CloseEvent;
          if (this.established) this.closes.push({ code, reason: String(reason) });
          else this.failedAttempts++;
          this.established = false;
        },
      },
    });
  }

  get sessionId(): string | undefined {
    return this.connections.at(-1)?.sessionId;
  }

  async connected(count = 1): Promise<void> {
    await eventually(() => this.connections.length >= count, 15_000, `connection #${count}`);
  }

  /** The inbox's locks as this console knows them, kept by snapshot and sequence. */
  watchLocks(inboxId: string): LockMirror {
    return new LockMirror(this.client, inboxId);
  }

  /** A stream with a resume cursor (`after`), checked for gaps and duplicates. */
  follow<TData, TVariables extends { after?: number | null }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    seqOf: (data: TData) => number,
  ): CursorStream<TData> {
    return new CursorStream(
      this.client,
      document as TypedDocumentNode<TData, unknown>,
      { ...variables },
      seqOf,
    );
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}

/** Checks a stream's sequence as it arrives: every seq once, none skipped. */
class SequenceCheck {
  readonly seqs: number[] = [];
  readonly gaps: Array<{ after: number; got: number }> = [];
  duplicates = 0;
  errors: unknown[] = [];

  /** True when the event is new (and records it). */
  take(seq: number, last: number | null | undefined): boolean {
    if (last !== undefined && last !== null && seq <= last) {
      this.duplicates++;
      return false;
    }
    if (last !== undefined && last !== null && seq !== last + 1)
      this.gaps.push({ after: last, got: seq });
    this.seqs.push(seq);
    return true;
  }
}

export class CursorStream<TData> {
  readonly check = new SequenceCheck();
  readonly events: TData[] = [];
  private readonly dispose: () => void;

  constructor(
    client: Client,
    document: TypedDocumentNode<TData, unknown>,
    /** Sent again as is on a reconnection: `after` is kept up to date in it. */
    private readonly variables: { after?: number | null },
    seqOf: (data: TData) => number,
  ) {
    const payload = {
      query: print(document),
      variables: this.variables as Record<string, unknown>,
    };
    this.dispose = client.subscribe<TData>(payload, {
      next: (result: ExecutionResult<TData>) => {
        if (result.errors || !result.data) return void this.check.errors.push(result.errors);
        const seq = seqOf(result.data);
        if (this.check.take(seq, this.variables.after)) {
          this.events.push(result.data);
          this.variables.after = seq;
        }
      },
      error: (error) => void this.check.errors.push(error),
      complete: () => {},
    });
  }

  get last(): number | null | undefined {
    return this.variables.after;
  }

  close(): void {
    this.dispose();
  }
}

export class LockMirror {
  readonly check = new SequenceCheck();
  /** conversationId → holder's session, as the console knows it. */
  readonly locks = new Map<string, string | null>();
  readonly snapshots: number[] = [];
  readonly events: LockEvent[] = [];
  private lastSeq: number | undefined;
  private readonly dispose: () => void;

  constructor(client: Client, inboxId: string) {
    this.dispose = client.subscribe<TicketLockEventsSubscription>(
      { query: print(TicketLockEventsDocument), variables: { inboxId } },
      {
        next: (result) => {
          const event = result.data?.ticketLockEvents;
          if (result.errors || !event) return void this.check.errors.push(result.errors);
          if (event.kind === 'SNAPSHOT') {
            // A new subscription (after a reconnection): the state at its seq; what came before
            // it is covered (seen, or included in the snapshot), what follows must be seq + 1.
            this.snapshots.push(event.seq);
            this.locks.clear();
            for (const lock of event.locks ?? [])
              this.locks.set(lock.conversationId, lock.sessionId);
            if (this.lastSeq === undefined || event.seq > this.lastSeq) this.lastSeq = event.seq;
            return;
          }
          if (!this.check.take(event.seq, this.lastSeq)) return;
          this.lastSeq = event.seq;
          this.events.push(event);
          const ticket = event.conversationId as string;
          // LOCKED carries the lock now held; RELEASED, FORCED_RELEASE and MOVED (the ticket
          // moved: L6) the lock that went.
          if (event.kind === 'LOCKED' && event.lock) this.locks.set(ticket, event.lock.sessionId);
          else this.locks.delete(ticket);
        },
        error: (error) => void this.check.errors.push(error),
        complete: () => {},
      },
    );
  }

  get seq(): number | undefined {
    return this.lastSeq;
  }

  async ready(): Promise<void> {
    await eventually(() => this.snapshots.length > 0, 15_000, 'a lock SNAPSHOT');
  }

  close(): void {
    this.dispose();
  }
}
