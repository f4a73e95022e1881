import { createHash } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  GraphQLID,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { Pool } from 'pg';

export interface LockFloorServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * The caller (bearer token and X-Client-Session window, as ours looks it up) and the lock
 * function, in ONE statement: what an authenticated HTTP lock operation cannot go below with
 * these rules (the lock row, its L8 mark, its window, its event logged durably). No Apollo
 * plugins, no express, no type-graphql, no limits, no log line; only bare Apollo.
 */
const OPERATION = (fn: LockFunction) => `
  WITH caller AS (
    SELECT s.organization_id, st.id AS staff_id, st.role, st.name, w.id AS window_id
      FROM client_session s
      JOIN staff st ON st.id = s.staff_id
      JOIN client_session w ON w.id = $2 AND (w.id = s.id OR w.parent_id = s.id) AND w.revoked_at IS NULL
     WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND st.active)
  SELECT ${fn}(c.organization_id, $3, c.window_id, c.staff_id, c.role <> 'AGENT', $4::interval,
                jsonb_build_object('kind', 'STAFF', 'id', c.staff_id, 'name', c.name)) AS result
    FROM caller c`;

export type LockFunction = 'tandem_open_ticket' | 'tandem_release_ticket';
export type LockResult = { outcome: string; lock?: unknown; events?: string[] };

/**
 * What both floors share: their pool, and the numbering of a committed operation's events as
 * ours does it (`tandem_sequence_committed`, one run per stream at a time, not awaited).
 */
export class LockFloorCore {
  readonly pool: Pool;
  readonly ttl: string;
  private readonly running = new Map<string, { again: boolean }>();

  constructor(databaseUrl: string, connections: number, ttlSeconds: number) {
    this.pool = new Pool({ connectionString: databaseUrl, max: connections });
    this.ttl = `${ttlSeconds} seconds`;
  }

  /** Has the events of a committed operation numbered (after it, as ours does). */
  sequence(stream: string): void {
    const run = this.running.get(stream);
    if (run) {
      run.again = true;
      return;
    }
    const state = { again: false };
    this.running.set(stream, state);
    void (async () => {
      do {
        state.again = false;
        await this.pool
          .query({
            name: 'sequence',
            text: 'SELECT tandem_sequence_committed($1) AS events',
            values: [stream],
          })
          .catch(() => undefined);
      } while (state.again);
      this.running.delete(stream);
    })();
  }

  /** An operation's answer, its events numbered after it. */
  answer(result: LockResult | undefined): string {
    if (!result) throw new Error('UNAUTHENTICATED');
    for (const stream of result.events ?? []) this.sequence(stream);
    return JSON.stringify({ outcome: result.outcome, lock: result.lock });
  }

  async stop(): Promise<void> {
    while (this.running.size) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.pool.end();
  }
}

/** A schema whose `openTicket`/`releaseTicket` run `operation`; `{ hello }` beside them. */
export function lockFloorSchema<C>(
  operation: (fn: LockFunction, conversationId: string, context: C) => Promise<string>,
): GraphQLSchema {
  const field = (fn: LockFunction) => ({
    type: new GraphQLNonNull(GraphQLString),
    args: { conversationId: { type: new GraphQLNonNull(GraphQLID) } },
    resolve: (_root: unknown, args: { conversationId: string }, context: C) =>
      operation(fn, args.conversationId, context),
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { hello: { type: GraphQLString, resolve: () => 'world' } },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        openTicket: field('tandem_open_ticket'),
        releaseTicket: field('tandem_release_ticket'),
      },
    }),
  });
}

/**
 * The floor of an authenticated HTTP lock operation (`bench/locks`, part 2): bare Apollo whose
 * `openTicket`/`releaseTicket` run {@link OPERATION} (one statement, one commit), then have the
 * events numbered after it as ours does (`tandem_sequence_committed`, one run per stream at a
 * time, not awaited). Against the one-write floor this says how much of the goal the work itself
 * leaves: the HTTP goal (0.6x one write) is reachable only if this floor is well above it. The
 * floor over graphql-ws (`lock-floor-ws.ts`) runs beside it on the same `core`.
 */
export async function serveLockFloorOverHttp(core: LockFloorCore): Promise<LockFloorServer> {
  const schema = lockFloorSchema<{ token: string; window: string }>(
    async (fn, conversationId, context) => {
      const { rows } = await core.pool.query<{ result: LockResult }>({
        name: fn,
        text: OPERATION(fn),
        values: [
          createHash('sha256').update(context.token).digest('hex'),
          context.window,
          conversationId,
          core.ttl,
        ],
      });
      return core.answer(rows[0]?.result);
    },
  );
  const apollo = new ApolloServer<{ token: string; window: string }>({ schema });
  const { url } = await startStandaloneServer(apollo, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({
      token: /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '',
      window: String(req.headers['x-client-session'] ?? ''),
    }),
  });
  return { url, stop: () => apollo.stop() };
}

/** A request body of the floor's operation on a ticket. */
export const floorBody = (operation: 'openTicket' | 'releaseTicket', conversationId: string) =>
  JSON.stringify({
    query: `mutation Floor($id: ID!) { ${operation}(conversationId: $id) }`,
    variables: { id: conversationId },
  });
