import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GraphQLID,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import Redis from 'ioredis';
import { WebSocketServer } from 'ws';

/** What the baseline publishes: a sequence number, a kind and a body padding it to our size. */
export interface BaselineEvent {
  seq: number;
  kind: string;
  at: string;
  body: string;
}

/**
 * The in-process PubSub of a plain graphql-ws server (as graphql-subscriptions' `PubSub` does
 * it): every subscriber's async iterator gets each published payload, pushed to its queue or to
 * the `next()` waiting for it.
 */
class InProcessPubSub {
  private readonly channels = new Map<string, Set<(payload: unknown) => void>>();

  /** Called when a channel gets its first subscriber (the Redis feed subscribes to it). */
  constructor(private readonly opened: (channel: string) => void = () => {}) {}

  publish(channel: string, payload: unknown): void {
    for (const push of this.channels.get(channel) ?? []) push(payload);
  }

  subscribers(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  iterate(channel: string): AsyncIterableIterator<unknown> {
    const queued: unknown[] = [];
    const waiting: Array<(result: IteratorResult<unknown>) => void> = [];
    let listeners = this.channels.get(channel);
    if (!listeners) {
      this.channels.set(channel, (listeners = new Set()));
      this.opened(channel);
    }
    const push = (payload: unknown) => {
      const waiter = waiting.shift();
      if (waiter) waiter({ value: payload, done: false });
      else queued.push(payload);
    };
    listeners.add(push);
    const end = () => {
      listeners.delete(push);
      if (listeners.size === 0) this.channels.delete(channel);
      for (const waiter of waiting.splice(0)) waiter({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true as const });
    };
    return {
      next: () =>
        queued.length > 0
          ? Promise.resolve({ value: queued.shift(), done: false })
          : new Promise((resolve) => waiting.push(resolve)),
      return: end,
      throw: (error: unknown) => end().then(() => Promise.reject(error)),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

/** The bare servers' one query, `{ hello }` (Apollo's trivial query). */
export const HELLO_QUERY = new GraphQLObjectType({
  name: 'Query',
  fields: { hello: { type: GraphQLString, resolve: () => 'world' } },
});

export interface BaselineWsServer {
  wsUrl: string;
  /** Publishes one event to every subscriber of `channel`; returns the hrtime (ms) it did so. */
  publish(channel: string, event: BaselineEvent): number;
  sockets(): number;
  subscribers(channel: string): number;
  stop(): Promise<void>;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * The baseline of the fan-out and memory figures: a bare graphql-ws server (graphql 16,
 * `graphql-ws/use/ws`) with a minimal schema, one subscription field fed by an in-process
 * PubSub. No authentication, no database, no access checks: what graphql-ws itself costs.
 */
export async function startBaselineWsServer(
  options: {
    /**
     * Also fed from Redis: every channel subscribed is subscribed on Redis too, and each message
     * published there (JSON) is published to the channel's subscribers (the spy floor: a writer
     * in another process publishing through Redis, as Tandem's instances do).
     */
    redisUrl?: string;
  } = {},
): Promise<BaselineWsServer> {
  const redis = options.redisUrl ? new Redis(options.redisUrl) : undefined;
  /** Channels Redis confirmed: a subscriber counts once its channel's messages can reach it. */
  const onRedis = new Set<string>();
  const pubsub = new InProcessPubSub((channel) => {
    void redis?.subscribe(channel).then(() => onRedis.add(channel));
  });
  redis?.on('message', (channel: string, message: string) =>
    pubsub.publish(channel, JSON.parse(message)),
  );
  const Event = new GraphQLObjectType({
    name: 'Event',
    fields: {
      seq: { type: new GraphQLNonNull(GraphQLInt) },
      kind: { type: new GraphQLNonNull(GraphQLString) },
      at: { type: new GraphQLNonNull(GraphQLString) },
      body: { type: new GraphQLNonNull(GraphQLString) },
    },
  });
  const schema = new GraphQLSchema({
    query: HELLO_QUERY,
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        events: {
          type: new GraphQLNonNull(Event),
          args: { channel: { type: new GraphQLNonNull(GraphQLID) } },
          subscribe: (_root, args: { channel: string }) => pubsub.iterate(args.channel),
          resolve: (payload: BaselineEvent) => payload,
        },
      },
    }),
  });

  const server = http.createServer((_request, response) => {
    response.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const graphqlWs = useServer(
    {
      schema,
      // Like ours, a socket must say who it is (nothing is checked here).
      onConnect: (ctx) => typeof ctx.connectionParams?.authorization === 'string',
    },
    wss,
    12_000,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    publish: (channel, event) => {
      const at = nowMs();
      pubsub.publish(channel, event);
      return at;
    },
    sockets: () => wss.clients.size,
    subscribers: (channel) => (redis && !onRedis.has(channel) ? 0 : pubsub.subscribers(channel)),
    stop: async () => {
      redis?.disconnect();
      for (const client of wss.clients) client.terminate();
      await graphqlWs.dispose();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
