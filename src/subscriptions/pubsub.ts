import { once } from 'node:events';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis from 'ioredis';
import type { Logger } from '../logger';

export type { EventEnvelope } from '../db/events';

/** One interface, two engines: in-process for a single instance, Redis between instances. */
export interface PubSubEngine {
  readonly kind: 'in-process' | 'redis';
  /** Messages handed to `publish`, and those dropped or failed (read by /metrics). */
  readonly published: number;
  readonly failed: number;
  /**
   * Sends a message to every instance's subscribers of `topic`, in the order of the calls.
   * Never waits for an unreachable engine: a message it cannot send soon is dropped (and the
   * promise rejects); events are in the log, and subscribers catch up (`onReconnect`).
   */
  publish(topic: string, message: unknown): Promise<void>;
  subscribe(topic: string, onMessage: (message: unknown) => void): Promise<number>;
  unsubscribe(subscriptionId: number): void;
  /** Resolves once the engine can carry messages (at start-up). */
  start(): Promise<void>;
  /** Throws when the engine cannot carry events (readiness). */
  ping(): Promise<void>;
  /** Calls `listener` each time the engine is back after an outage (messages may have been lost). */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

export class InProcessPubSub implements PubSubEngine {
  readonly kind = 'in-process' as const;
  published = 0;
  readonly failed = 0;
  private readonly topics = new Map<string, Map<number, (message: unknown) => void>>();
  private readonly topicOf = new Map<number, string>();
  private nextId = 1;

  async publish(topic: string, message: unknown): Promise<void> {
    this.published += 1;
    const handlers = this.topics.get(topic);
    if (!handlers) return;
    // Same contract as Redis: subscribers get a JSON copy, asynchronously.
    const json = JSON.stringify(message);
    await Promise.resolve();
    for (const handler of handlers.values()) handler(JSON.parse(json));
  }

  async subscribe(topic: string, onMessage: (message: unknown) => void): Promise<number> {
    const id = this.nextId++;
    let handlers = this.topics.get(topic);
    if (!handlers) this.topics.set(topic, (handlers = new Map()));
    handlers.set(id, onMessage);
    this.topicOf.set(id, topic);
    return id;
  }

  unsubscribe(subscriptionId: number): void {
    const topic = this.topicOf.get(subscriptionId);
    if (topic === undefined) return;
    this.topicOf.delete(subscriptionId);
    const handlers = this.topics.get(topic);
    handlers?.delete(subscriptionId);
    if (handlers?.size === 0) this.topics.delete(topic);
  }

  async start(): Promise<void> {}

  async ping(): Promise<void> {}

  onReconnect(): void {} // never away

  async close(): Promise<void> {
    this.topics.clear();
    this.topicOf.clear();
  }
}

/** Publishes under way at most; beyond, a publish is dropped at once (see `publish`). */
export const MAX_PUBLISHES_IN_FLIGHT = 10_000;
/** A publish Redis has not acknowledged within this is given up. */
export const PUBLISH_TIMEOUT_MS = 1000;

/**
 * graphql-redis-subscriptions over ioredis: one publisher and one subscriber connection.
 * Publishing is bounded: the publisher has no offline queue (while Redis is away a publish fails
 * at once instead of waiting for the reconnection), a publish is given up after
 * `PUBLISH_TIMEOUT_MS`, and at most `MAX_PUBLISHES_IN_FLIGHT` are under way. The subscriber
 * keeps its queue (a new subscription waits for Redis) and, once back and resubscribed, tells
 * `onReconnect` listeners, whose subscribers then catch up from the event log.
 */
export class RedisPubSubEngine implements PubSubEngine {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly pubsub: RedisPubSub;
  private readonly reconnectListeners: Array<() => void> = [];
  private inFlight = 0;
  published = 0;
  /** Publishes dropped (too many under way) or failed (Redis away or slow). */
  failed = 0;
  private closed = false;

  constructor(
    url: string,
    private readonly logger?: Logger,
  ) {
    const retry = { maxRetriesPerRequest: null, enableAutoPipelining: true };
    this.publisher = new Redis(url, {
      ...retry,
      enableOfflineQueue: false,
      commandTimeout: PUBLISH_TIMEOUT_MS,
    });
    this.subscriber = new Redis(url, retry);
    for (const connection of [this.publisher, this.subscriber]) {
      // ioredis reconnects by itself; an unhandled 'error' event would end the process.
      connection.on('error', (error: Error) => this.logger?.debug(`redis: ${error.message}`));
    }
    let connectedBefore = false;
    this.subscriber.on('ready', () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      this.logger?.info('redis is back: catching subscribers up from the event log');
      // The resubscription ioredis sent on 'ready' is answered before this PING: listeners
      // then read the log with every channel subscribed again, so nothing falls in between.
      this.subscriber
        .ping()
        .then(() => {
          for (const listener of this.reconnectListeners) listener();
        })
        .catch((error: unknown) => this.logger?.error('redis resubscription', error));
    });
    this.pubsub = new RedisPubSub({ publisher: this.publisher, subscriber: this.subscriber });
  }

  async publish(topic: string, message: unknown): Promise<void> {
    this.published += 1;
    if (this.inFlight >= MAX_PUBLISHES_IN_FLIGHT) {
      this.drop();
      throw new Error(`publish dropped: ${MAX_PUBLISHES_IN_FLIGHT} publishes already under way`);
    }
    this.inFlight += 1;
    try {
      await this.pubsub.publish(topic, message);
    } catch (error) {
      this.drop();
      throw error;
    } finally {
      this.inFlight -= 1;
    }
  }

  subscribe(topic: string, onMessage: (message: unknown) => void): Promise<number> {
    return this.pubsub.subscribe(topic, onMessage);
  }

  unsubscribe(subscriptionId: number): void {
    // The library sends UNSUBSCRIBE without handling its promise: sent after QUIT it would be
    // rejected ("Connection is closed") with nobody to catch it. Closing unsubscribes anyway.
    if (this.closed) return;
    this.pubsub.unsubscribe(subscriptionId);
  }

  async start(): Promise<void> {
    await Promise.all(
      [this.publisher, this.subscriber].map((connection) =>
        connection.status === 'ready' ? undefined : once(connection, 'ready'),
      ),
    );
  }

  async ping(): Promise<void> {
    for (const connection of [this.publisher, this.subscriber]) {
      if (connection.status !== 'ready') throw new Error(`redis is ${connection.status}`);
    }
    await Promise.all([this.publisher.ping(), this.subscriber.ping()]);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    // An UNSUBSCRIBE the library sent just before (a socket closing as the instance stops) and
    // still unanswered when QUIT ends the connection would be rejected with nobody to catch it.
    // Redis answers in order: once a PING sent now is answered, so is every command before it.
    if (this.subscriber.status === 'ready') {
      await Promise.race([
        this.subscriber.ping().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    }
    await this.pubsub.close();
  }

  /** Counted and logged now and then: one line per outage, not one per event. */
  private drop(): void {
    this.failed += 1;
    if (this.failed === 1 || this.failed % 1000 === 0) {
      this.logger?.error(
        `redis publishes dropped: ${this.failed} so far (subscribers catch up from the event log)`,
      );
    }
  }
}

export function createPubSub(redisUrl: string | undefined, logger?: Logger): PubSubEngine {
  return redisUrl ? new RedisPubSubEngine(redisUrl, logger) : new InProcessPubSub();
}
