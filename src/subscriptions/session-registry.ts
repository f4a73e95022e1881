import type WebSocket from 'ws';
import { PeriodicJob } from '../jobs/periodic-job';
import type { Logger } from '../logger';
import type { PubSubEngine } from './pubsub';
import { type SessionsRevokedMessage, Topics } from './topics';

/** Close codes Tandem uses on WebSockets. */
export const CloseCodes = {
  /** The token was missing, wrong, expired or revoked: sign in again. */
  Unauthorized: 4401,
  /** A supervisor disconnected the agent (C14): sign in again. */
  DisconnectedBySupervisor: 4403,
  GoingAway: 1001,
  /** The client kept sending what it was refused (e.g. subscriptions over its limits). */
  PolicyViolation: 1008,
  /** Too many sockets on this instance, or its database is unreachable: retry later (or elsewhere). */
  TryAgainLater: 1013,
  /** Something unexpected failed (details are logged, never sent). */
  InternalServerError: 4500,
} as const;

/** What the registry asks of the session rules (the services answer it; server.ts wires them). */
export interface WindowSessions {
  /** Marks these windows seen now. */
  touch(windowIds: string[]): Promise<void>;
  /** Those of these sessions that are still live (not revoked nor expired, their staff active). */
  liveSessionIds(ids: string[]): Promise<Set<string>>;
}

interface LiveSocket {
  socket: WebSocket;
  signInSessionId: string | null;
}

/** How long a window found ended waits for its revocation message before it is closed anyway. */
const ENDED_GRACE_MS = 1500;

/**
 * The windows (WebSocket sessions) this instance holds. It keeps them alive in Postgres, and
 * closes them when their sign-in is revoked on any instance, or found dead by the periodic check
 * (should a revocation message have been lost).
 */
export class SessionRegistry {
  private readonly windows = new Map<string, LiveSocket>();
  private job: PeriodicJob | undefined;
  private subscriptionId: Promise<number> | undefined;
  /** When the windows were last kept alive; undefined after a failed attempt. */
  private keptAliveAt: number | undefined = Date.now();

  constructor(
    private readonly pubsub: PubSubEngine,
    private readonly sessions: WindowSessions,
    private readonly logger: Logger,
    private readonly checkEveryMs: number,
  ) {}

  async start(): Promise<void> {
    this.subscriptionId = this.pubsub.subscribe(Topics.sessionsRevoked, (message) => {
      const { sessionIds, reason, closeCode } = message as SessionsRevokedMessage;
      this.closeSessions(new Set(sessionIds), `Session ended: ${reason}`, closeCode);
    });
    await this.subscriptionId;
    this.job = new PeriodicJob(
      'session check',
      this.checkEveryMs,
      () => this.check(),
      this.logger,
    ).start();
  }

  get size(): number {
    return this.windows.size;
  }

  /** The windows this instance holds now. */
  windowIds(): string[] {
    return [...this.windows.keys()];
  }

  /** Whether a socket of this instance is this window now. */
  holds(windowSessionId: string): boolean {
    return this.windows.has(windowSessionId);
  }

  add(windowSessionId: string, signInSessionId: string | null, socket: WebSocket): void {
    this.windows.set(windowSessionId, { socket, signInSessionId });
  }

  remove(windowSessionId: string): void {
    this.windows.delete(windowSessionId);
  }

  /** Marks live windows as seen and closes those whose session ended elsewhere. */
  async check(): Promise<void> {
    const ids = [...this.windows.keys()];
    if (ids.length > 0) {
      try {
        await this.sessions.touch(ids);
      } catch (error) {
        this.keptAliveAt = undefined;
        throw error;
      }
    }
    this.keptAliveAt = Date.now();
    if (ids.length === 0) return;
    const live = await this.sessions.liveSessionIds(ids);
    const ended = new Set(ids.filter((id) => !live.has(id)));
    if (ended.size === 0) return;
    // A session revoked a moment ago has its message on the way, with the close code and reason
    // its console must show (4403: a supervisor disconnected you): that one closes it, unless it
    // was lost; this check only closes what is still open after a grace.
    setTimeout(() => this.closeSessions(ended, 'Session ended'), ENDED_GRACE_MS).unref();
  }

  /**
   * Keeps the windows alive now if their last keep-alive failed (the database was away) or is
   * late: before this instance judges anyone's liveness, its own windows are seen again.
   */
  async keepAliveIfOverdue(): Promise<void> {
    const overdue =
      this.keptAliveAt === undefined || Date.now() - this.keptAliveAt > this.checkEveryMs * 1.5;
    if (overdue) await this.check();
  }

  closeAll(code: number, reason: string): void {
    for (const { socket } of this.windows.values()) socket.close(code, reason);
  }

  async stop(): Promise<void> {
    await this.job?.stop();
    if (this.subscriptionId) this.pubsub.unsubscribe(await this.subscriptionId);
  }

  private closeSessions(
    ids: Set<string>,
    reason: string,
    code: number = CloseCodes.Unauthorized,
  ): void {
    if (ids.size === 0) return;
    for (const [windowId, { socket, signInSessionId }] of this.windows) {
      if (ids.has(windowId) || (signInSessionId && ids.has(signInSessionId))) {
        socket.close(code, reason.slice(0, 120));
      }
    }
  }
}
