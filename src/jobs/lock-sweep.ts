import type { LockService } from '../services/lock/lock.service';
import type { SessionRegistry } from '../subscriptions/session-registry';

/**
 * L4's sweep, which judges a window's liveness only on time the instances could write its
 * keep-alives. A window whose socket stayed open through a database outage could not be kept
 * alive meanwhile, and must not lose its lock for it: after a failure (the database was away)
 * this instance sweeps nothing for a whole TTL, long enough for every instance holding windows
 * to have kept them alive again; and before it sweeps, it keeps its own windows alive if their
 * keep-alive is overdue.
 */
export class LockSweep {
  /** No sweep before this time (ms since the epoch): the TTL after the last failure. */
  private blindUntil = 0;

  constructor(
    private readonly locks: LockService,
    private readonly sessions: SessionRegistry,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async run(): Promise<void> {
    try {
      await this.sessions.keepAliveIfOverdue();
      if (this.now() < this.blindUntil) return;
      await this.locks.sweep();
    } catch (error) {
      this.blindUntil = this.now() + this.ttlMs;
      throw error;
    }
  }
}
