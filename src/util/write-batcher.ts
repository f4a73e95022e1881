interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes items in batches, as group commit does: an item added while no write is under way is
 * written at once, alone; items added while `maxInFlight` writes are under way wait for one to
 * end and go together in the next (up to `maxBatch`). A quiet server writes each item with no
 * added wait; a busy one pays one statement and one commit per batch instead of per item. Each
 * `add` resolves once its batch is written, or fails with it.
 */
export class WriteBatcher<T> {
  private readonly waiting: Array<Waiting<T>> = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly options: { maxBatch: number; maxInFlight: number },
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      this.write(batch.map((waiting) => waiting.item)).then(
        () => {
          for (const waiting of batch) waiting.resolve();
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
