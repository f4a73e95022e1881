import type { Logger } from '../logger';
import { AsyncQueue } from './async-queue';
import type { EventLogReader } from './event-log';
import type { EventEnvelope, PubSubEngine } from './pubsub';

type Listener = (event: EventEnvelope) => void;

/** One engine subscription per stream per instance, shared by every local subscriber. */
class StreamChannel {
  readonly listeners = new Set<Listener>();
  /** Subscribers past their replay, receiving live events. */
  live = 0;
  lastSeq: number | undefined;
  /** Events of a channel are handled one at a time, in arrival order. */
  chain: Promise<void> = Promise.resolve();
  subscriptionId: Promise<number> | undefined;
}

export interface StreamSnapshot {
  /** The last event the state includes. */
  seq: number;
  payload: Record<string, unknown>;
}

export interface StreamOptions {
  /** Replay events after this seq first; when absent, start from the stream's current position. */
  after?: number;
  /**
   * For streams that mirror state: the state and the seq it is current at (read in one
   * statement). It is delivered first, then every event after that seq.
   */
  snapshot?: () => Promise<StreamSnapshot>;
}

/**
 * Delivers a stream's events to local subscribers in sequence order, with no gap and no
 * duplicate. Redis may deliver two instances' events out of order; since Postgres decided the
 * sequence and logged every event, a gap is filled from the log, once per instance.
 */
export class EventHub {
  private readonly channels = new Map<string, StreamChannel>();

  constructor(
    private readonly pubsub: PubSubEngine,
    private readonly log: EventLogReader,
    private readonly logger: Logger,
  ) {}

  /** Subscribes to a stream: first what the client missed (after its cursor), then live. */
  subscribe(stream: string, options: StreamOptions = {}): AsyncIterableIterator<EventEnvelope> {
    let last = options.after ?? 0;
    let live = false;
    const early: EventEnvelope[] = [];
    let chain = Promise.resolve();

    let pending = 0;

    const deliver = (event: EventEnvelope): void => {
      if (event.seq <= last) return;
      queue.push(event);
      last = event.seq;
    };
    const emit = async (event: EventEnvelope): Promise<void> => {
      if (queue.closed || event.seq <= last) return;
      if (event.seq > last + 1) {
        // The seam between replay and live, or a stream this channel joined mid-way.
        for (const missed of await this.log.readAll(stream, last, event.seq - 1)) deliver(missed);
      }
      deliver(event);
    };
    const listener: Listener = (event) => {
      if (!live) {
        early.push(event);
      } else if (pending === 0 && event.seq === last + 1) {
        deliver(event); // the common case: in order, nothing in flight
      } else {
        pending += 1;
        chain = chain
          .then(() => emit(event))
          .catch((error: unknown) => queue.fail(error))
          .finally(() => (pending -= 1));
      }
    };
    const queue = new AsyncQueue<EventEnvelope>(() => this.leave(stream, listener, live));

    const start = async (): Promise<void> => {
      await this.join(stream, listener);
      if (queue.closed) {
        this.leave(stream, listener, false); // the client left while we were joining
        return;
      }
      if (options.snapshot) {
        const snapshot = await options.snapshot();
        queue.push({
          stream,
          seq: snapshot.seq,
          at: new Date().toISOString(),
          payload: snapshot.payload,
        });
        last = snapshot.seq;
      } else if (options.after === undefined) {
        last = await this.log.lastSeq(stream);
      } else {
        for (const event of await this.log.readAll(stream, options.after)) deliver(event);
      }
      if (queue.closed) return;
      live = true;
      const channel = this.channels.get(stream);
      if (channel) channel.live += 1;
      for (const event of early.splice(0)) await emit(event);
    };
    chain = start().catch((error: unknown) => queue.fail(error));
    return queue;
  }

  /** Local subscribers of a stream that receive its live events (tests and metrics). */
  liveSubscribers(stream: string): number {
    return this.channels.get(stream)?.live ?? 0;
  }

  private async join(stream: string, listener: Listener): Promise<void> {
    let channel = this.channels.get(stream);
    if (!channel) {
      const created = new StreamChannel();
      this.channels.set(stream, created);
      created.subscriptionId = this.pubsub.subscribe(stream, (message) => {
        created.chain = created.chain
          .then(() => this.accept(stream, created, message as EventEnvelope))
          .catch((error: unknown) => this.logger.error(`stream ${stream}`, error));
      });
      channel = created;
    }
    channel.listeners.add(listener);
    await channel.subscriptionId;
  }

  private leave(stream: string, listener: Listener, wasLive: boolean): void {
    const channel = this.channels.get(stream);
    if (!channel) return;
    channel.listeners.delete(listener);
    if (wasLive) channel.live -= 1;
    if (channel.listeners.size > 0) return;
    this.channels.delete(stream);
    void channel.subscriptionId?.then((id) => this.pubsub.unsubscribe(id));
  }

  private async accept(
    stream: string,
    channel: StreamChannel,
    event: EventEnvelope,
  ): Promise<void> {
    const last = channel.lastSeq;
    if (last !== undefined && event.seq <= last) return;
    if (last !== undefined && event.seq > last + 1) {
      for (const missed of await this.log.readAll(stream, last, event.seq - 1))
        this.dispatch(channel, missed);
    }
    this.dispatch(channel, event);
  }

  private dispatch(channel: StreamChannel, event: EventEnvelope): void {
    channel.lastSeq = event.seq;
    for (const listener of channel.listeners) listener(event);
  }
}
