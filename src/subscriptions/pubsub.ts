import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis from 'ioredis';

/** What travels between instances: plain JSON only (a Date would arrive as a string). */
export interface EventEnvelope<P = Record<string, unknown>> {
  stream: string;
  /** Position in the stream, decided by Postgres; consecutive, starting at 1. */
  seq: number;
  /** ISO-8601. */
  at: string;
  payload: P;
}

/** One interface, two engines: in-process for a single instance, Redis between instances. */
export interface PubSubEngine {
  readonly kind: 'in-process' | 'redis';
  publish(topic: string, message: unknown): Promise<void>;
  subscribe(topic: string, onMessage: (message: unknown) => void): Promise<number>;
  unsubscribe(subscriptionId: number): void;
  /** Throws when the engine cannot carry events (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class InProcessPubSub implements PubSubEngine {
  readonly kind = 'in-process' as const;
  private readonly topics = new Map<string, Map<number, (message: unknown) => void>>();
  private readonly topicOf = new Map<number, string>();
  private nextId = 1;

  async publish(topic: string, message: unknown): Promise<void> {
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

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.topics.clear();
    this.topicOf.clear();
  }
}

/** graphql-redis-subscriptions over ioredis: one publisher and one subscriber connection. */
export class RedisPubSubEngine implements PubSubEngine {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly pubsub: RedisPubSub;

  constructor(url: string) {
    const options = { maxRetriesPerRequest: null, enableAutoPipelining: true };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    this.pubsub = new RedisPubSub({ publisher: this.publisher, subscriber: this.subscriber });
  }

  publish(topic: string, message: unknown): Promise<void> {
    return this.pubsub.publish(topic, message);
  }

  subscribe(topic: string, onMessage: (message: unknown) => void): Promise<number> {
    return this.pubsub.subscribe(topic, onMessage);
  }

  unsubscribe(subscriptionId: number): void {
    this.pubsub.unsubscribe(subscriptionId);
  }

  async ping(): Promise<void> {
    await Promise.all([this.publisher.ping(), this.subscriber.ping()]);
  }

  async close(): Promise<void> {
    await this.pubsub.close();
  }
}

export function createPubSub(redisUrl: string | undefined): PubSubEngine {
  return redisUrl ? new RedisPubSubEngine(redisUrl) : new InProcessPubSub();
}
