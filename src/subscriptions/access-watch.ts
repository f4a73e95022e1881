import { PeriodicJob } from '../jobs/periodic-job';
import type { Logger } from '../logger';
import type { PubSubEngine } from './pubsub';
import { type AccessChangedMessage, Topics } from './topics';

/**
 * What a staff member's stream was allowed on, and how to ask again. Built by the service that
 * checked the subscription (it alone knows the rule); the hub holds it beside the stream.
 */
export interface StreamAccess {
  staffId: string;
  /** The watch's notice count for this person, taken before the check ran. */
  notices: number;
  /** The person's access generation (staff.access_generation) the check saw. */
  generation: number;
  /**
   * Runs the stream's rule again with the person's role, activation and memberships as they are
   * now: resolves to the generation it saw, rejects (FORBIDDEN) when the stream is no longer
   * allowed.
   */
  recheck(): Promise<number>;
}

/** What the watch asks of the database (a store answers it; server.ts wires it). */
export interface AccessGenerations {
  /** The current access generation of each of these staff members (missing: deleted). */
  generations(staffIds: string[]): Promise<Map<string, number>>;
}

/** One guarded stream, as the watch sees it. */
interface Watched {
  readonly access: StreamAccess;
  /** The person's access may have changed: check again now. */
  changed(): void;
}

/**
 * Every stream of a staff member re-checks its access when that person's access changes, on every
 * instance, without a query per event: a change (role, activation, inbox membership) raises the
 * person's access generation in SQL and the service that made it broadcasts a notice; each
 * instance counts the notices per person, and a stream compares the count it was checked at with
 * the current one before it delivers an event (one map read). A notice also makes the person's
 * streams check again at once, so a stream with no traffic ends too. A notice lost on the way
 * (Redis away) or a change written by other means is found by the periodic comparison of the
 * generations the streams hold with the database's (one statement for all the watched people).
 */
export class AccessWatch {
  private readonly noticeCounts = new Map<string, number>();
  private total = 0;
  private readonly watched = new Map<string, Set<Watched>>();
  private subscriptionId: Promise<number> | undefined;
  private job: PeriodicJob | undefined;

  constructor(
    private readonly pubsub: PubSubEngine,
    private readonly logger: Logger,
  ) {}

  async start(database: AccessGenerations, checkEveryMs: number): Promise<void> {
    this.subscriptionId = this.pubsub.subscribe(Topics.accessChanged, (message) => {
      for (const staffId of (message as AccessChangedMessage).staffIds) this.notice(staffId);
    });
    await this.subscriptionId;
    this.job = new PeriodicJob(
      'stream access check',
      checkEveryMs,
      () => this.compare(database),
      this.logger,
    ).start();
  }

  async stop(): Promise<void> {
    await this.job?.stop();
    if (this.subscriptionId) this.pubsub.unsubscribe(await this.subscriptionId);
  }

  /** Notices received for this person since the instance started (0 when none). */
  notices(staffId: string): number {
    return this.noticeCounts.get(staffId) ?? 0;
  }

  /** Notices received for anyone since the instance started. */
  totalNotices(): number {
    return this.total;
  }

  /** The person's access changed: their streams check again. */
  notice(staffId: string): void {
    this.total += 1;
    this.noticeCounts.set(staffId, this.notices(staffId) + 1);
    for (const stream of this.watched.get(staffId) ?? []) stream.changed();
  }

  /** Wraps a stream of a staff member so that it ends (FORBIDDEN) once its access is gone. */
  guard<T>(iterator: AsyncIterableIterator<T>, access: StreamAccess): AsyncIterableIterator<T> {
    const guarded = new GuardedStream(iterator, access, this, () => this.unwatch(guarded));
    let set = this.watched.get(access.staffId);
    if (!set) this.watched.set(access.staffId, (set = new Set()));
    set.add(guarded);
    // A notice between the check and now: check again before the first event.
    if (this.notices(access.staffId) !== access.notices) guarded.changed();
    return guarded;
  }

  /** Streams guarded on this instance (tests and metrics). */
  get size(): number {
    let size = 0;
    for (const set of this.watched.values()) size += set.size;
    return size;
  }

  private unwatch(stream: Watched): void {
    const set = this.watched.get(stream.access.staffId);
    set?.delete(stream);
    if (set?.size === 0) this.watched.delete(stream.access.staffId);
  }

  /** Finds changes whose notice never came (or that were written without one). */
  private async compare(database: AccessGenerations): Promise<void> {
    if (this.watched.size === 0) return;
    const current = await database.generations([...this.watched.keys()]);
    for (const [staffId, streams] of this.watched) {
      const generation = current.get(staffId);
      const stale = [...streams].some((stream) => stream.access.generation !== generation);
      if (stale) this.notice(staffId);
    }
  }
}

/**
 * A stream that hands out an event only while its access holds: when the person's notices moved
 * past those it was checked at, it checks again first (one query per change, not per event), and
 * ends with the check's error when the access is gone, whether an event is waiting or not.
 */
class GuardedStream<T> implements AsyncIterableIterator<T>, Watched {
  private checking: Promise<void> | undefined;
  private failure: unknown;
  /**
   * Ends the `next` the client is waiting on, when the access goes while no event comes. One
   * per `next`, dropped once it settles: racing every event against one promise that stays
   * pending for the stream's life would keep every delivered event reachable from it (each
   * race leaves a reaction on it) until the stream ends.
   */
  private interrupt: ((error: unknown) => void) | undefined;
  private done = false;

  constructor(
    private readonly inner: AsyncIterableIterator<T>,
    readonly access: StreamAccess,
    private readonly watch: AccessWatch,
    private readonly forget: () => void,
  ) {}

  changed(): void {
    void this.check().catch(() => undefined);
  }

  /**
   * One promise per event (and its two reactions on the inner `next`): a waiting subscriber's
   * chain outlives the young generation at thousands of watchers, so it is kept short.
   */
  next(): Promise<IteratorResult<T>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.interrupt = reject;
      this.inner.next().then(
        (result) => {
          if (this.interrupt === reject) this.interrupt = undefined;
          // The comparison at delivery: a notice this stream has not checked yet is checked first.
          if (this.checking || this.watch.notices(this.access.staffId) !== this.access.notices) {
            this.check().then(() => resolve(result), reject);
          } else resolve(result);
        },
        (error: unknown) => {
          if (this.interrupt === reject) this.interrupt = undefined;
          reject(error);
        },
      );
    });
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return (this.inner.return?.(value) ?? Promise.resolve({ value, done: true })) as Promise<
      IteratorResult<T>
    >;
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return (this.inner.throw?.(error) ?? Promise.reject(error)) as Promise<IteratorResult<T>>;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** One check at a time; a notice during a check is checked again after it. */
  private check(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.checking) return this.checking;
    const notices = this.watch.notices(this.access.staffId);
    this.checking = this.access
      .recheck()
      .then(
        (generation) => {
          this.access.generation = generation;
          this.access.notices = notices;
        },
        (error: unknown) => {
          this.failure = error;
          this.interrupt?.(error);
          // graphql-ws ends the operation with the error without calling `return`.
          this.end();
          void this.inner.return?.();
          throw error;
        },
      )
      .finally(() => (this.checking = undefined));
    return this.checking.then(() =>
      this.watch.notices(this.access.staffId) !== this.access.notices ? this.check() : undefined,
    );
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.forget();
  }
}
