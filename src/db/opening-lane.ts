import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';

/**
 * How urgent a socket opening's work is: a console already acknowledged (its subscriptions'
 * access checks, snapshots and positions) goes before a new console's authentication, so that
 * the consoles of a storm finish resynchronizing one after another instead of all together at
 * its end.
 */
export type OpeningStep = 'subscribe' | 'connect';

/** One opening's work: whether it holds a slot now, and whether its socket is still there. */
interface OpeningToken {
  step: OpeningStep;
  held: number;
  abandoned: () => boolean;
}

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
  token: OpeningToken;
  since: number;
  grant: () => void;
  fail: (error: Error) => void;
}

/**
 * Socket openings (a console's `connection_init` and its subscriptions' first reads) take their
 * database connections through a lane of at most `size` of the pool's, waiting here in order.
 * A reconnect storm used to queue thousands of openings in the pool itself, where the 5 s
 * connection wait refused consoles (1013, SERVICE_UNAVAILABLE: they came back later and did it
 * all again) and made everything else on the instance (lock operations, the numbering of their
 * events, hence the fan-out to the consoles that never left) wait behind the storm. In the lane
 * the storm queues without a deadline a console would not keep anyway, and the pool keeps
 * connections free for the rest.
 */
export class OpeningLane {
  private static readonly current = new AsyncLocalStorage<OpeningToken>();
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
   * Runs `work` as an opening: every connection it takes from the pool (the pool patched by
   * `install`) first takes a slot of the lane. `abandoned` says the socket went away: its turn
   * is skipped.
   */
  run<T>(step: OpeningStep, abandoned: () => boolean, work: () => T): T {
    return OpeningLane.current.run({ step, held: 0, abandoned }, work);
  }

  /**
   * Runs `work` (a read shared by several openings: one inbox's lock snapshot for the consoles
   * subscribing meanwhile) as an opening of its own that no socket's departure abandons: it
   * answers the others too. Outside an opening it runs as is.
   */
  static shared<T>(work: () => T): T {
    const token = OpeningLane.current.getStore();
    if (!token) return work();
    return OpeningLane.current.run({ step: token.step, held: 0, abandoned: () => false }, work);
  }

  /** Openings waiting for a slot now. */
  get queued(): number {
    return this.queues.subscribe.length + this.queues.connect.length;
  }

  /** Routes the pool's checkouts made inside `run` through the lane. */
  install(pool: Pool): void {
    type Callback = (error: Error | undefined, client?: PoolClient, done?: () => void) => void;
    const original = pool.connect.bind(pool) as (callback?: Callback) => Promise<PoolClient>;
    const connect = () => original();
    const patched = (callback?: Callback) => {
      const token = OpeningLane.current.getStore();
      // A second connection taken while the opening already holds one (a statement beside a
      // transaction) is not queued again: that could wait for a slot it holds itself.
      if (!token || token.held > 0) return original(callback);
      const checkout = this.acquire(token).then(async () => {
        let client: PoolClient;
        try {
          client = await connect();
        } catch (error) {
          this.release(token);
          throw error;
        }
        const release = client.release.bind(client);
        let released = false;
        client.release = (error?: Error | boolean) => {
          if (!released) {
            released = true;
            this.release(token);
          }
          return release(error);
        };
        return client;
      });
      if (!callback) return checkout;
      checkout.then((client) => callback(undefined, client, client.release), callback);
      return undefined;
    };
    Object.assign(pool, { connect: patched });
  }

  private acquire(token: OpeningToken): Promise<void> {
    if (this.active < this.size && this.queued === 0) {
      this.take(token);
      return Promise.resolve();
    }
    this.waited += 1;
    return new Promise((grant, fail) => {
      this.queues[token.step].push({ token, since: Date.now(), grant, fail });
    });
  }

  private take(token: OpeningToken): void {
    this.active += 1;
    token.held += 1;
  }

  private release(token: OpeningToken): void {
    this.active -= 1;
    token.held -= 1;
    this.next();
  }

  /** Hands free slots to the next waiters (subscriptions first), skipping those that went away. */
  private next(): void {
    while (this.active < this.size) {
      const waiter = this.queues.subscribe.shift() ?? this.queues.connect.shift();
      if (!waiter) return;
      const waitedMs = Date.now() - waiter.since;
      if (waiter.token.abandoned()) {
        this.abandoned += 1;
        waiter.fail(new OpeningAbandonedError());
      } else if (waitedMs > this.maxWaitMs) {
        waiter.fail(new OpeningTimeoutError(waitedMs));
      } else {
        this.take(waiter.token);
        waiter.grant();
      }
    }
  }
}
