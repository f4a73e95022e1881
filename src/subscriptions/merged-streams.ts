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
    const settled =
      lead !== undefined
        ? await this.pull(lead)
        : await Promise.race(this.sources.map((_, index) => this.pull(index)));
    this.pending.delete(settled.index);
    if (settled.result.done) {
      // A source that ends (its reader closed) ends the whole stream: a client watching several
      // campaigns never silently loses one of them.
      await this.close();
      return { value: undefined, done: true };
    }
    return settled.result;
  }

  /** The source's pending `next`, asked once and kept until it is handed out. */
  private pull(index: number): Promise<Settled<T>> {
    let pending = this.pending.get(index);
    if (!pending) {
      pending = this.sources[index].iterator.next().then((result) => ({ index, result }));
      // Rejections are reported by the race that takes them; never unhandled meanwhile.
      pending.catch(() => undefined);
      this.pending.set(index, pending);
    }
    return pending;
  }

  private async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await Promise.all(
      this.sources.map((source) => source.iterator.return?.().catch(() => undefined)),
    );
  }
}
