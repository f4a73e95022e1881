import type { EventLogReader } from './event-log';
import type { StreamOptions } from './event-hub';
import type { EventEnvelope } from './pubsub';

/** What a channel tells one subscriber. */
export interface StreamListener {
  /** A live event (the same object for every local subscriber of the stream). */
  event(event: EventEnvelope): void;
  /** The stream has events up to `seq` (found in the log, their publish lost). */
  advance(seq: number): void;
}

/** How a reader attaches to its stream's channel. */
export interface ChannelLink {
  join(listener: StreamListener): Promise<void>;
  /**
   * The stream's position once joined: its last seq, from the log or (when the channel knows
   * it already: an event it received, another subscriber's read) without a statement.
   */
  position(): Promise<number>;
  /** The reader knows where it starts: every later event will reach it. */
  started(): void;
  leave(listener: StreamListener): void;
}

/**
 * Live events a subscriber keeps while its client has not taken them yet. They are shared
 * with the stream's other subscribers; past this many, the reader only remembers how far the
 * stream went and reads the rest from the log when its client gets there.
 */
export const LIVE_BUFFER = 32;

/**
 * One subscriber of a stream, as the async iterator graphql-ws pulls from: events in sequence
 * order after its starting point (a snapshot, a resume cursor, or the stream's position), with
 * no gap and no duplicate. It holds at most a page of the log and `LIVE_BUFFER` live events:
 * what the client has not reached yet is read from the log when it asks for the next event,
 * so a client that stops reading costs a page, however long the history it asked for.
 */
export class StreamReader implements AsyncIterableIterator<EventEnvelope>, StreamListener {
  /** The seq of the last event handed out (or that the snapshot includes). */
  private last = 0;
  /** The highest seq known to exist on the stream. */
  private known = 0;
  /** Events after `last`, consecutive. */
  private buffer: EventEnvelope[] = [];
  /** While the starting point or a page is being read, live events only raise `known`. */
  private reading = true;
  private snapshot: EventEnvelope | undefined;
  private wake: (() => void) | undefined;
  private done = false;
  private readonly ready: Promise<void>;
  /** One `next` at a time: graphql-ws asks for the next event once it sent the previous one. */
  private turn: Promise<unknown> = Promise.resolve();
  /** `next`s under way on the slow path (`take`: the start, the snapshot, a page of the log). */
  private taking = 0;
  /** Set once the starting point is read: from then on a live event may be handed out at once. */
  private started = false;
  /**
   * The client's `next`, waiting on the fast path for the next live event: the only object a
   * waiting subscriber holds between two events (the slow path's chain is several promises, and
   * at 5,000 watchers each event's waiting chains outlive a young-generation collection).
   */
  private waiter:
    | ((result: IteratorResult<EventEnvelope> | Promise<IteratorResult<EventEnvelope>>) => void)
    | undefined;

  constructor(
    private readonly stream: string,
    private readonly log: EventLogReader,
    options: StreamOptions,
    private readonly channel: ChannelLink,
  ) {
    this.ready = this.start(options);
    this.ready.catch(() => undefined); // reported by `next`
  }

  event(event: EventEnvelope): void {
    const tail = this.buffer[this.buffer.length - 1]?.seq ?? this.last;
    if (this.done || event.seq <= tail) return;
    if (!this.reading && event.seq === tail + 1 && this.buffer.length < LIVE_BUFFER) {
      this.buffer.push(event);
    }
    this.advance(event.seq);
  }

  advance(seq: number): void {
    if (seq <= this.known) return;
    this.known = seq;
    if (this.waiter) this.answerWaiter();
    else this.wake?.();
  }

  /**
   * The live path first: once started, with no `next` under way, a buffered event is handed out
   * at once and an empty buffer waits with one promise; anything else (the start, the snapshot,
   * a page of the log) takes the slow path, one `next` at a time.
   */
  next(): Promise<IteratorResult<EventEnvelope>> {
    if (this.started && this.taking === 0 && !this.waiter && !this.snapshot) {
      if (this.done) return Promise.resolve({ value: undefined, done: true });
      const buffered = this.buffer.shift();
      if (buffered) {
        this.last = buffered.seq;
        return Promise.resolve({ value: buffered, done: false });
      }
      if (this.known <= this.last) return new Promise((resolve) => (this.waiter = resolve));
    }
    return this.slowNext();
  }

  return(): Promise<IteratorResult<EventEnvelope>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<EventEnvelope>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<EventEnvelope> {
    return this;
  }

  private async start(options: StreamOptions): Promise<void> {
    await this.channel.join(this);
    if (this.done) return;
    if (options.snapshot) {
      const snapshot = await options.snapshot();
      this.snapshot = {
        stream: this.stream,
        seq: snapshot.seq,
        at: new Date().toISOString(),
        payload: snapshot.payload,
      };
      this.last = snapshot.seq;
    } else {
      const position = await this.channel.position();
      this.last = options.after ?? position;
      this.advance(position);
    }
    this.reading = false;
    this.started = true;
    this.channel.started();
  }

  private slowNext(): Promise<IteratorResult<EventEnvelope>> {
    this.taking += 1;
    const result = this.turn.then(() =>
      this.take().catch((error: unknown) => {
        // graphql-ws ends the operation with the error without calling `return`.
        this.close();
        throw error;
      }),
    );
    this.turn = result
      .catch(() => undefined)
      .finally(() => {
        this.taking -= 1;
      });
    return result;
  }

  /** An event reached a client waiting on the fast path (or the stream moved past a gap). */
  private answerWaiter(): void {
    const resolve = this.waiter;
    if (!resolve) return;
    this.waiter = undefined;
    const buffered = this.buffer.shift();
    if (buffered) {
      this.last = buffered.seq;
      resolve({ value: buffered, done: false });
    } else {
      // Not buffered (a lost publish found in the log, or the buffer full): read from the log.
      resolve(this.slowNext());
    }
  }

  private async take(): Promise<IteratorResult<EventEnvelope>> {
    await this.ready;
    if (this.snapshot) {
      const snapshot = this.snapshot;
      this.snapshot = undefined;
      if (!this.done) return { value: snapshot, done: false };
    }
    for (;;) {
      if (this.done) return { value: undefined, done: true };
      const buffered = this.buffer.shift();
      if (buffered) {
        this.last = buffered.seq;
        return { value: buffered, done: false };
      }
      if (this.known > this.last) {
        await this.readPage();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private async readPage(): Promise<void> {
    this.reading = true;
    try {
      const page = await this.log.readPage(this.stream, this.last, this.known);
      // Events the log no longer has (older than the retention) are skipped.
      if (page.length === 0) this.last = this.known;
      this.buffer = page.filter((event) => event.seq > this.last);
    } finally {
      this.reading = false;
    }
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.buffer = [];
    this.snapshot = undefined;
    this.wake?.();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
    this.channel.leave(this);
  }
}
