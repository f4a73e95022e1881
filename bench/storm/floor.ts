/**
 * The floor of a reconnection on this machine: a bare graphql-ws server (graphql 16,
 * `graphql-ws/use/ws`, plain `pg`) doing only what no server can skip when a console comes back:
 * accept the socket, look its token up in Postgres (one prepared statement on the real
 * `client_session` table), take its subscriptions, and send the lock stream's snapshot read from
 * Postgres (one prepared statement: the inbox's locks and the stream's seq). No windows, no
 * access rules, no cursors, no events. It speaks what the storm's consoles speak (the same
 * subscription fields, `{ sessionId, resumed }` in the ack), in a process of its own, run as
 * `node bench/storm/floor.ts` with DATABASE_URL; prints `{"url":…,"wsUrl":…}` once listening.
 *
 * With FLOOR_PUBLISH_PER_SECOND it is also the plain graphql-ws server of the cap's comparison
 * (issue 19, item 6): it publishes that many lock events a second (an in-process PubSub, as
 * graphql-subscriptions' would) to every `ticketLockEvents` subscriber while it publishes
 * (SIGUSR2 starts and stops it), numbered after the snapshots it gave, `at` the instant it
 * publishes them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Pool } from 'pg';
import { WebSocketServer } from 'ws';
import { hashSecret } from '../../src/services/auth/secrets';
import { Streams } from '../../src/subscriptions/topics';
import { HELLO_QUERY } from '../support/baselines/graphql-ws';

interface Caller {
  sessionId: string;
  organizationId: string;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  // As many connections as ours has.
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });

  const Lock = new GraphQLObjectType({
    name: 'Lock',
    fields: { conversationId: { type: GraphQLID }, sessionId: { type: GraphQLID } },
  });
  const Event = new GraphQLObjectType({
    name: 'Event',
    fields: {
      seq: { type: new GraphQLNonNull(GraphQLInt) },
      kind: { type: new GraphQLNonNull(GraphQLString) },
      at: { type: GraphQLString },
      conversationId: { type: GraphQLID },
      locks: { type: new GraphQLList(Lock) },
    },
  });
  /** A stream the floor accepts and keeps open without any work. */
  const idle = () => ({
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => new Promise<IteratorResult<unknown>>(() => undefined),
    return: () => Promise.resolve({ value: undefined, done: true as const }),
  });
  /** Live lock events (FLOOR_PUBLISH_PER_SECOND): each subscriber's push, and the last seq. */
  const listeners = new Set<(event: unknown) => void>();
  let seq = 0;
  const publishPerSecond = Number(process.env.FLOOR_PUBLISH_PER_SECOND ?? 0);
  // Published only while measuring (SIGUSR2 starts, the next one stops), as ours gets lock
  // operations only then: publishing to every console while thousands are still connecting
  // made each connection wait behind the fan-out (10,000 had not connected after 13 minutes).
  let publishing: NodeJS.Timeout | undefined;
  process.on('SIGUSR2', () => {
    if (publishing) {
      clearInterval(publishing);
      publishing = undefined;
      return;
    }
    publishing = setInterval(() => {
      seq += 1;
      const event = { seq, kind: 'RELEASED', at: new Date().toISOString(), conversationId: null };
      for (const push of listeners) push(event);
    }, 1000 / publishPerSecond);
  });
  /** The lock events after a snapshot, as graphql-subscriptions' PubSub iterator queues them. */
  const live = (): AsyncIterableIterator<unknown> => {
    const queued: unknown[] = [];
    let waiting: ((result: IteratorResult<unknown>) => void) | undefined;
    const push = (event: unknown) => {
      if (waiting) {
        const wake = waiting;
        waiting = undefined;
        wake({ value: event, done: false });
      } else queued.push(event);
    };
    listeners.add(push);
    return {
      next: () =>
        queued.length
          ? Promise.resolve({ value: queued.shift(), done: false })
          : new Promise((resolve) => (waiting = resolve)),
      return: () => {
        listeners.delete(push);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
  const schema = new GraphQLSchema({
    query: HELLO_QUERY,
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticketLockEvents: {
          type: new GraphQLNonNull(Event),
          args: { inboxId: { type: new GraphQLNonNull(GraphQLID) } },
          subscribe: async function* (_root, args: { inboxId: string }, caller: Caller) {
            const { rows } = await pool.query<{ seq: string; locks: unknown[] }>({
              name: 'floor_snapshot',
              text: `SELECT coalesce((SELECT last_seq FROM stream_seq WHERE stream = $1), 0) AS seq,
                            coalesce((SELECT jsonb_agg(jsonb_build_object('conversationId', conversation_id, 'sessionId', session_id))
                                        FROM ticket_lock WHERE inbox_id = $2 AND session_id IS NOT NULL), '[]') AS locks`,
              values: [Streams.inboxLocks(caller.organizationId, args.inboxId), args.inboxId],
            });
            seq = Math.max(seq, Number(rows[0]?.seq ?? 0));
            if (publishPerSecond > 0) {
              const events = live();
              yield { seq, kind: 'SNAPSHOT', locks: rows[0]?.locks ?? [] };
              yield* events;
            } else {
              yield { seq, kind: 'SNAPSHOT', locks: rows[0]?.locks ?? [] };
              yield* idle();
            }
          },
          resolve: (event: unknown) => event,
        },
        conversationEvents: {
          type: new GraphQLNonNull(Event),
          args: { inboxId: { type: new GraphQLNonNull(GraphQLID) }, after: { type: GraphQLInt } },
          subscribe: idle,
          resolve: (event: unknown) => event,
        },
        myAssignments: {
          type: new GraphQLNonNull(Event),
          args: { after: { type: GraphQLInt } },
          subscribe: idle,
          resolve: (event: unknown) => event,
        },
      },
    }),
  });

  const server = http.createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/graphql' });
  useServer<Record<string, unknown>, { caller?: Caller }>(
    {
      schema,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization;
        const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : '';
        const { rows } = await pool.query<{ id: string; organization_id: string }>({
          name: 'floor_auth',
          text: `SELECT id, organization_id FROM client_session
                  WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
          values: [hashSecret(token)],
        });
        const row = rows[0];
        if (!row) return false;
        ctx.extra.caller = { sessionId: row.id, organizationId: row.organization_id };
        const resume = ctx.connectionParams?.sessionId;
        return { sessionId: typeof resume === 'string' ? resume : row.id, resumed: !!resume };
      },
      context: (ctx) => ctx.extra.caller,
    },
    wss,
    12_000,
  );
  // The same accept queue as ours (LISTEN_BACKLOG's default).
  await new Promise<void>((resolve) =>
    // On the port it was given (PORT): nginx's upstreams name it before it prints its address.
    server.listen(
      { port: Number(process.env.PORT ?? 0), host: '127.0.0.1', backlog: 65535 },
      resolve,
    ),
  );
  const { port } = server.address() as AddressInfo;
  process.on('SIGTERM', () => process.exit(0));
  console.log(
    JSON.stringify({
      url: `http://127.0.0.1:${port}/graphql`,
      wsUrl: `ws://127.0.0.1:${port}/graphql`,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
