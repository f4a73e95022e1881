/**
 * One watcher's queue of a figure set that is recomputed, not a log of events: the latest value
 * waiting replaces an older one the client has not taken yet (a slow client gets the newest, not
 * a backlog), and a value whose key equals the last one handed out is not news. Every watcher of
 * one subject is pushed the same object, so the subscription executes it once per cohort.
 */
export class LatestFeed<T> implements AsyncIterableIterator<T> {
  private pending: T | undefined;
  /** What this watcher was last given: the same again is not news. */
  private lastKey: string | undefined;
  private wake: (() => void) | undefined;
  private done = false;

  constructor(private readonly forget: () => void) {}

  push(value: T, key: string): void {
    if (this.done || key === this.lastKey) return;
    this.lastKey = key;
    this.pending = value;
    this.wake?.();
  }

  async next(): Promise<IteratorResult<T>> {
    while (!this.done && this.pending === undefined) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.done) return { value: undefined, done: true };
    const value = this.pending as T;
    this.pending = undefined;
    return { value, done: false };
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.wake?.();
    this.forget();
  }
}
