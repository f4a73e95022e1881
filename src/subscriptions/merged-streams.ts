/** One source of a merged stream. */
export interface MergedSource<T> {
  iterator: AsyncIterableIterator<T>;
  /** Its first item (a snapshot) is handed out before any source's later items. */
  leads?: boolean;
}

type Settled<T> = { index: number; result: IteratorResult<T> };

/**
 * Several streams as one subscription (`queueEvents(campaignIds)`): each source keeps its own
 * order (its seq), the sources interleave as their items come. The leading items (each source's
 * snapshot) come first, in the order of the sources, so a client has the whole state before the
 * first change. One `next` is pending per source at a time, so a source's reader still only
 * reads what its client takes; the items pass through as they are (the same object for every
 * local subscriber, which shared execution relies on).
 */
export class MergedStream<T> implements AsyncIterableIterator<T> {
  private readonly pending = new Map<number, Promise<Settled<T>>>();
  /**
   * Sources whose pending `next` settled, in the order they did, not yet handed out. Each pending
   * `next` is listened to once, when asked: racing them again at every `take` would leave a
   * reaction on a quiet source's pending promise per item of the others, kept until it settles.
   */
  private readonly settled: number[] = [];
  private wake: (() => void) | undefined;
  private leading: number[];
  private done = false;
  /** One `next` at a time, as graphql-ws asks. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly sources: ReadonlyArray<MergedSource<T>>) {
    this.leading = sources.flatMap((source, index) => (source.leads ? [index] : []));
  }

  next(): Promise<IteratorResult<T>> {
    const result = this.turn.then(() =>
      this.take().catch(async (error: unknown) => {
        // graphql-ws ends the operation with the error without calling `return`.
        await this.close();
        throw error;
      }),
    );
    this.turn = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<T>> {
    await this.close();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    await this.close();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private async take(): Promise<IteratorResult<T>> {
    if (this.done) return { value: undefined, done: true };
    const lead = this.leading.shift();
    const settled = lead !== undefined ? await this.handOut(lead) : await this.first();
    if (settled.result.done) {
      // A source that ends (its reader closed) ends the whole stream: a client watching several
      // campaigns never silently loses one of them.
      await this.close();
      return { value: undefined, done: true };
    }
    return settled.result;
  }

  /** The first source (in the order they settled) whose pending `next` has settled. */
  private async first(): Promise<Settled<T>> {
    for (let index = 0; index < this.sources.length; index++) void this.pull(index);
    while (this.settled.length === 0) {
      if (this.done) return { index: -1, result: { value: undefined, done: true } };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    return this.handOut(this.settled[0] as number);
  }

  /** The source's pending `next`, awaited (it is asked anew at the next `take`). */
  private handOut(index: number): Promise<Settled<T>> {
    const pending = this.pull(index);
    this.pending.delete(index);
    return pending.finally(() => {
      const at = this.settled.indexOf(index);
      if (at >= 0) this.settled.splice(at, 1);
    });
  }

  /** The source's pending `next`, asked once and kept until it is handed out. */
  private pull(index: number): Promise<Settled<T>> {
    let pending = this.pending.get(index);
    if (!pending) {
      pending = this.sources[index].iterator.next().then((result) => ({ index, result }));
      this.pending.set(index, pending);
      // Listened to once; a rejection is reported when it is handed out, never unhandled.
      pending.then(
        () => this.ready(index),
        () => this.ready(index),
      );
    }
    return pending;
  }

  private ready(index: number): void {
    this.settled.push(index);
    this.wake?.();
  }

  private async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.wake?.();
    await Promise.all(
      this.sources.map((source) => source.iterator.return?.().catch(() => undefined)),
    );
  }
}
