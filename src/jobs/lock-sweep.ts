import type { LockService } from '../services/lock/lock.service';
import type { SessionRegistry } from '../subscriptions/session-registry';

/**
 * L4's sweep, which judges a window's liveness only on time the instances could write its
 * keep-alives. A window whose socket stayed open through a database outage could not be kept
 * alive meanwhile, and must not lose its lock for it: after a failure (the database was away)
 * this instance sweeps nothing until it has reached the database again and a whole TTL has passed
 * since, long enough for every instance holding windows to have kept them alive again; and before
 * it sweeps, it keeps its own windows alive if their keep-alive is overdue.
 *
 * The TTL counts from the database's return, not from this instance's last failed attempt: an
 * attempt that fails just before the database is back (or one that waits in a connect) would
 * otherwise leave the other instances less than a TTL, and on a loaded machine a second or two
 * is what a keep-alive can take.
 */
export class LockSweep {
  /** No sweep before this time (ms since the epoch): the TTL after the database came back. */
  private blindUntil = 0;
  /** A run failed, and the database has not been reached since. */
  private away = false;

  constructor(
    private readonly locks: Pick<LockService, 'sweep'>,
    private readonly sessions: Pick<SessionRegistry, 'keepAliveIfOverdue'>,
    /** One round trip to the database: how a run learns it is back. */
    private readonly reachDatabase: () => Promise<unknown>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async run(): Promise<void> {
    try {
      await this.sessions.keepAliveIfOverdue();
      if (this.away) {
        await this.reachDatabase();
        this.away = false;
        this.blindUntil = this.now() + this.ttlMs;
      }
      if (this.now() < this.blindUntil) return;
      await this.locks.sweep();
    } catch (error) {
      this.away = true;
      throw error;
    }
  }
}
