interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

/**
 * A push-based async iterator: producers `push`, graphql-ws pulls with `next`. `return()` (the
 * client completed, or the socket closed) runs the cleanup once.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly values: T[] = [];
  private readonly waiting: Waiter<T>[] = [];
  private failure: { error: unknown } | undefined;
  private done = false;

  constructor(private readonly onClose: () => void = () => {}) {}

  get closed(): boolean {
    return this.done;
  }

  push(value: T): void {
    if (this.done) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve({ value, done: false });
    else this.values.push(value);
  }

  /** Ends the stream with an error the client receives (e.g. its access was revoked). */
  fail(error: unknown): void {
    if (this.done) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.reject(error);
    else this.failure = { error };
    this.finish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.values.length > 0)
      return Promise.resolve({ value: this.values.shift() as T, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.values.length = 0;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    for (const waiter of this.waiting.splice(0)) waiter.resolve({ value: undefined, done: true });
    this.onClose();
  }
}
