interface KeyState<T> {
  /** The read under way. */
  current: Promise<T>;
  /** The read the calls made meanwhile share, started when `current` ends. */
  queued?: Promise<T>;
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    () => undefined,
  );

/**
 * Reads per key that concurrent callers share. A call is answered by the first read of its key
 * that starts after the call, so it sees everything committed before it asked: the first call
 * starts a read; calls made while it is under way share one more read, started when it ends.
 * However many callers ask at once (a reconnect storm's consoles subscribing to one inbox), a key
 * has at most one read under way and one waiting. A failed read fails the calls it answers only.
 */
export class SharedReads<T> {
  private readonly states = new Map<string, KeyState<T>>();

  read(key: string, work: () => Promise<T>): Promise<T> {
    const state = this.states.get(key);
    if (!state) return this.begin(key, work);
    state.queued ??= settled(state.current).then(() => this.begin(key, work));
    return state.queued;
  }

  private begin(key: string, work: () => Promise<T>): Promise<T> {
    const state: KeyState<T> = { current: new Promise<T>((resolve) => resolve(work())) };
    this.states.set(key, state);
    // Runs before the queued read begins (it was chained later): a key with nothing queued is
    // forgotten; one with a queued read is replaced by it.
    const forget = () => {
      if (this.states.get(key) === state && !state.queued) this.states.delete(key);
    };
    state.current.then(forget, forget);
    return state.current;
  }
}
