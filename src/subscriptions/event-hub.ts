import type { Logger } from '../logger';
import { AccessWatch, type StreamAccess } from './access-watch';
import type { EventLogReader } from './event-log';
import { MergedStream } from './merged-streams';
import type { EventEnvelope, PubSubEngine } from './pubsub';
import { StreamReader, type StreamListener } from './stream-reader';

/** One engine subscription per stream per instance, shared by every local subscriber. */
class StreamChannel {
  readonly listeners = new Set<StreamListener>();
  /** Subscribers past their starting point, receiving live events. */
  live = 0;
  lastSeq: number | undefined;
  /**
   * The highest seq known to exist on the stream: an event received, or the log's position read
   * once joined (every later event reaches the channel). A subscriber starting at the stream's
   * position takes it from here, and a reconnect storm's thousands of subscribers to one inbox's
   * stream read it once. Unlike `lastSeq` it never holds back an event the channel has not had.
   */
  position: number | undefined;
  /** Events of a channel are handled one at a time, in arrival order. */
  chain: Promise<void> = Promise.resolve();
  subscriptionId: Promise<number> | undefined;
}

/**
 * Where a subscription's first read (its snapshot, the stream's position) waits its turn with
 * the other socket openings in a reconnect storm (db/opening-lane.ts); `abandoned` says the
 * subscriber left meanwhile.
 */
export interface OpeningTurns {
  run<T>(step: 'subscribe', abandoned: () => boolean, work: () => Promise<T>): Promise<T>;
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
  /** A staff member's stream: it ends (FORBIDDEN) once their access to it is gone. */
  access?: StreamAccess;
}

/**
 * A gap a channel fills from the log once for all its subscribers (Redis reordering two
 * instances' publishes leaves gaps of an event or two). A larger one (events lost while Redis
 * was away) is left to each subscriber, which reads it page by page as its client takes it.
 */
const SHARED_GAP_FILL = 100;

/**
 * Delivers a stream's events to local subscribers in sequence order, with no gap and no
 * duplicate. Redis may deliver two instances' events out of order, or lose them while it is
 * away; since Postgres decided the sequence and logged every event, what is missing is read
 * from the log. A subscriber's replay (a resume cursor, a gap) is read page by page as its
 * client takes it (`StreamReader`), so a client that stops reading holds a page, not a history.
 */
export class EventHub {
  private readonly channels = new Map<string, StreamChannel>();
  /** Re-checks staff members' streams when their access changes (started by server.ts). */
  readonly access: AccessWatch;
  /** Events received from the PubSub, delivered to local subscribers, read to fill gaps (/metrics). */
  received = 0;
  delivered = 0;
  gapFilled = 0;

  constructor(
    private readonly pubsub: PubSubEngine,
    private readonly log: EventLogReader,
    private readonly logger: Logger,
    private readonly openings?: OpeningTurns,
  ) {
    this.access = new AccessWatch(pubsub, logger);
    pubsub.onReconnect(() => {
      this.resync().catch((error: unknown) => this.logger.error('catching up streams', error));
    });
  }

  /** Subscribes to a stream: first what the client missed (after its cursor), then live. */
  subscribe(stream: string, options: StreamOptions = {}): AsyncIterableIterator<EventEnvelope> {
    let joined = false;
    let live = false;
    let left = false;
    const openings = this.openings;
    const snapshot = options.snapshot;
    const first = <T>(read: () => Promise<T>) =>
      openings ? openings.run('subscribe', () => left, read) : read();
    const reader = new StreamReader(
      stream,
      this.log,
      snapshot ? { ...options, snapshot: () => first(snapshot) } : options,
      {
        join: async (listener) => {
          joined = true;
          await this.join(stream, listener);
        },
        position: () => this.position(stream, first),
        started: () => {
          live = true;
          const channel = this.channels.get(stream);
          if (channel) channel.live += 1;
        },
        leave: (listener) => {
          left = true;
          if (joined) this.leave(stream, listener, live);
        },
      },
    );
    return options.access ? this.access.guard(reader, options.access) : reader;
  }

  /**
   * Several streams as one subscription (one reader each, merged): the snapshots first, in the
   * order given, then every stream's events in its own sequence. The access guards the whole:
   * when it goes, the subscription ends.
   */
  subscribeMany(
    streams: ReadonlyArray<{ stream: string; options: Omit<StreamOptions, 'access'> }>,
    access?: StreamAccess,
  ): AsyncIterableIterator<EventEnvelope> {
    const merged = new MergedStream(
      streams.map(({ stream, options }) => ({
        iterator: this.subscribe(stream, options),
        leads: options.snapshot !== undefined,
      })),
    );
    return access ? this.access.guard(merged, access) : merged;
  }

  /**
   * Messages of an instance-to-instance topic (`Topics`): no sequence, no replay, nothing logged.
   * For signals whose loss a periodic check makes good. Resolves to the id `unlisten` takes.
   */
  listen(topic: string, onMessage: (message: unknown) => void): Promise<number> {
    return this.pubsub.subscribe(topic, onMessage);
  }

  unlisten(listenerId: number): void {
    this.pubsub.unsubscribe(listenerId);
  }

  /** Streams this instance is subscribed to. */
  streams(): number {
    return this.channels.size;
  }

  /** Local subscribers of a stream that receive its live events (tests and metrics). */
  liveSubscribers(stream: string): number {
    return this.channels.get(stream)?.live ?? 0;
  }

  /**
   * Catches every channel up with the log: events whose publish was lost (Redis away, or a
   * publish dropped) reach the subscribers. Run when the PubSub reconnects, and periodically.
   */
  async resync(): Promise<void> {
    const streams = [...this.channels.keys()];
    const lastSeqs = await this.log.lastSeqs(streams);
    for (const [stream, seq] of lastSeqs) {
      const channel = this.channels.get(stream);
      if (!channel || (channel.lastSeq !== undefined && seq <= channel.lastSeq)) continue;
      channel.chain = channel.chain
        .then(() => this.catchUp(stream, channel, seq))
        .catch((error: unknown) => this.logger.error(`stream ${stream}`, error));
    }
  }

  /** The stream's position for a subscriber that joined its channel (see `StreamChannel.position`). */
  private async position(
    stream: string,
    read: (work: () => Promise<number>) => Promise<number>,
  ): Promise<number> {
    const known = this.channels.get(stream)?.position;
    if (known !== undefined) return known;
    const position = await read(() => this.log.lastSeq(stream));
    const channel = this.channels.get(stream);
    if (channel) channel.position = Math.max(channel.position ?? 0, position);
    return position;
  }

  private async join(stream: string, listener: StreamListener): Promise<void> {
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

  private leave(stream: string, listener: StreamListener, wasLive: boolean): void {
    const channel = this.channels.get(stream);
    if (!channel?.listeners.delete(listener)) return;
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
    this.received += 1;
    const last = channel.lastSeq;
    if (last !== undefined && event.seq <= last) return;
    if (last !== undefined && event.seq > last + 1 && event.seq - last <= SHARED_GAP_FILL) {
      for (const missed of await this.log.read(stream, last, event.seq - 1)) {
        this.gapFilled += 1;
        this.dispatch(channel, missed);
      }
    }
    this.dispatch(channel, event);
  }

  /** The log has events up to `seq` the channel never received. */
  private async catchUp(stream: string, channel: StreamChannel, seq: number): Promise<void> {
    const last = channel.lastSeq;
    if (last !== undefined && seq <= last) return;
    if (last !== undefined && seq - last <= SHARED_GAP_FILL) {
      for (const missed of await this.log.read(stream, last, seq)) {
        this.gapFilled += 1;
        this.dispatch(channel, missed);
      }
      return;
    }
    channel.lastSeq = seq;
    channel.position = Math.max(channel.position ?? 0, seq);
    for (const listener of channel.listeners) listener.advance(seq);
  }

  private dispatch(channel: StreamChannel, event: EventEnvelope): void {
    channel.lastSeq = event.seq;
    channel.position = Math.max(channel.position ?? 0, event.seq);
    this.delivered += channel.listeners.size;
    for (const listener of channel.listeners) listener.event(event);
  }
}
