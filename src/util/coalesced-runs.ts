interface Run<T> {
  again: boolean;
  done?: Promise<T>;
}

/**
 * Runs work per key one at a time. A call that arrives while the key's run is under way does not
 * start a second one beside it: it asks that run to go once more when it ends (so whatever the
 * caller changed before calling is seen) and resolves with it. A run that fails ends there, and
 * every caller that joined it gets the failure.
 */
export class CoalescedRuns<T> {
  private readonly runs = new Map<string, Run<T>>();

  constructor(private readonly combine: (earlier: T, later: T) => T) {}

  run(key: string, work: () => Promise<T>): Promise<T> {
    const current = this.runs.get(key);
    if (current?.done) {
      current.again = true;
      return current.done;
    }
    const run: Run<T> = { again: false };
    this.runs.set(key, run);
    run.done = this.repeat(key, run, work);
    return run.done;
  }

  /** Resolves once every run under way (and the rounds asked of it) has ended, failed or not. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.runs.values()].map((run) => run.done));
  }

  private async repeat(key: string, run: Run<T>, work: () => Promise<T>): Promise<T> {
    try {
      let result: T = await work();
      while (run.again) {
        run.again = false;
        result = this.combine(result, await work());
      }
      return result;
    } finally {
      // Synchronously after the last look at `again`: no caller can join a run that has ended.
      this.runs.delete(key);
    }
  }
}
