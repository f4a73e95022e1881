interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Writes items in batches, as group commit does: an item added while no write is under way is
 * written at once, alone; items added while `maxInFlight` writes are under way wait for one to
 * end and go together in the next (up to `maxBatch`). A quiet server writes each item with no
 * added wait; a busy one pays one statement and one commit per batch instead of per item. Each
 * `add` resolves once its batch is written, with what `write` answered for that item (one answer
 * per item, in order), or fails with the batch.
 */
export class WriteBatcher<T, R = void> {
  private readonly waiting: Array<Waiting<T, R>> = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: { maxBatch: number; maxInFlight: number },
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      this.write(batch.map((waiting) => waiting.item)).then(
        (results) => {
          batch.forEach((waiting, n) => waiting.resolve(results[n] as R));
          this.ended();
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
          this.ended();
        },
      );
    }
  }

  private ended(): void {
    this.inFlight -= 1;
    this.pump();
  }
}
