/**
 * How urgent a socket opening's work is: a console already acknowledged (its subscriptions'
 * access checks, snapshots and positions) goes before a new console's authentication, so that
 * the consoles of a storm finish resynchronizing one after another instead of all together at
 * its end.
 */
export type OpeningStep = 'subscribe' | 'connect';

export const OPENING_ABANDONED = 'OPENING_ABANDONED';

/**
 * The socket went away while its opening waited for a slot: nothing to do for it any more.
 * Taken as "not now" (db/errors: nobody is left to tell, and it is no fault to log).
 */
export class OpeningAbandonedError extends Error {
  readonly code = OPENING_ABANDONED;
  constructor() {
    super('The socket closed while its opening waited for the database');
  }
}

/**
 * An opening waited longer than a console would (the database is stuck): "not now", as a pool
 * wait that timed out (its message is the driver's, which db/errors recognizes).
 */
export class OpeningTimeoutError extends Error {
  constructor(waitedMs: number) {
    super(`timeout exceeded when trying to connect (queued ${waitedMs} ms for a socket opening)`);
  }
}

interface Waiter {
  abandoned: () => boolean;
  since: number;
  grant: () => void;
  fail: (error: Error) => void;
}

/**
 * Socket openings (a console's `connection_init`, a subscription's access check and its first
 * read) run at most `size` at a time, waiting here in order; each takes its database connection
 * from the pool only once it runs, so at most `size` of the pool's are theirs.
 * A reconnect storm used to queue thousands of openings in the pool itself, where the 5 s
 * connection wait refused consoles (1013, SERVICE_UNAVAILABLE: they came back later and did it
 * all again) and made everything else on the instance (lock operations, the numbering of their
 * events, hence the fan-out to the consoles that never left) wait behind the storm. In the lane
 * the storm queues without a deadline a console would not keep anyway, and the pool keeps
 * connections free for the rest.
 *
 * The callers name their openings (`run`) rather than the lane finding them from the pool's
 * checkouts: finding them needs an AsyncLocalStorage, which on Node 20 puts a promise hook on
 * every promise of the process, and made each event delivered during a storm several times
 * dearer (5,000 consoles came back at 45/s while lock events flowed; 92/s without it, on a
 * busier machine).
 */
export class OpeningLane {
  private active = 0;
  private readonly queues: Record<OpeningStep, Waiter[]> = { subscribe: [], connect: [] };
  /** Openings that waited for a slot, and gave up (their socket closed) or timed out (/metrics, tests). */
  waited = 0;
  abandoned = 0;

  constructor(
    readonly size: number,
    private readonly maxWaitMs: number,
  ) {}

  /**
   * Runs `work` as an opening once a slot is free (at once when one is). `abandoned` says the
   * socket went away: its turn is skipped.
   */
  async run<T>(step: OpeningStep, abandoned: () => boolean, work: () => Promise<T>): Promise<T> {
    await this.acquire(step, abandoned);
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.next();
    }
  }

  /** Openings waiting for a slot now. */
  get queued(): number {
    return this.queues.subscribe.length + this.queues.connect.length;
  }

  private acquire(step: OpeningStep, abandoned: () => boolean): Promise<void> {
    if (this.active < this.size && this.queued === 0) {
      this.active += 1;
      return Promise.resolve();
    }
    this.waited += 1;
    return new Promise((grant, fail) => {
      this.queues[step].push({ abandoned, since: Date.now(), grant, fail });
    });
  }

  /** Hands free slots to the next waiters (subscriptions first), skipping those that went away. */
  private next(): void {
    while (this.active < this.size) {
      const waiter = this.queues.subscribe.shift() ?? this.queues.connect.shift();
      if (!waiter) return;
      const waitedMs = Date.now() - waiter.since;
      if (waiter.abandoned()) {
        this.abandoned += 1;
        waiter.fail(new OpeningAbandonedError());
      } else if (waitedMs > this.maxWaitMs) {
        waiter.fail(new OpeningTimeoutError(waitedMs));
      } else {
        this.active += 1;
        waiter.grant();
      }
    }
  }
}
