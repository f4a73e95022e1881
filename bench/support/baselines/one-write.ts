import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Pool } from 'pg';
import { WebSocketServer } from 'ws';

export interface OneWriteServer {
  /** Apollo over HTTP. */
  url: string;
  /** graphql-ws over `ws`, the same schema. */
  wsUrl: string;
  stop(): Promise<void>;
}

/** Rows of the server's own table: one per concurrent client of the benchmark, and spare. */
const ROWS = 1000;

/**
 * What a lock operation cannot go below on this machine: a bare GraphQL server (graphql 16, no
 * authentication, no rules, no events) whose one mutation runs one durable write, an `UPDATE ...
 * RETURNING` of a counter (as a fencing token comes back from its statement), committed on its
 * own like ours. Served over HTTP (bare `@apollo/server`) and over graphql-ws, with `{ hello }`
 * on both for the transports' own cost, and `read(id)`, one primary-key read of a row (what an
 * authenticated request cannot go below: its caller is looked up). Its table lives beside ours in
 * the benchmark's database.
 */
export async function startOneWriteServer(
  databaseUrl: string,
  connections: number,
): Promise<OneWriteServer> {
  const pool = new Pool({ connectionString: databaseUrl, max: connections });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS bench_one_write (id int PRIMARY KEY, token bigint NOT NULL DEFAULT 0);
     INSERT INTO bench_one_write (id) SELECT generate_series(1, ${ROWS}) ON CONFLICT DO NOTHING`,
  );
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        hello: { type: GraphQLString, resolve: () => 'world' },
        read: {
          type: new GraphQLNonNull(GraphQLInt),
          args: { id: { type: new GraphQLNonNull(GraphQLInt) } },
          resolve: async (_root, args: { id: number }) => {
            const { rows } = await pool.query<{ token: string }>({
              name: 'read',
              text: 'SELECT token FROM bench_one_write WHERE id = $1',
              values: [args.id],
            });
            return Number(rows[0]?.token);
          },
        },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        take: {
          type: new GraphQLNonNull(GraphQLInt),
          args: { id: { type: new GraphQLNonNull(GraphQLInt) } },
          resolve: async (_root, args: { id: number }) => {
            const { rows } = await pool.query<{ token: string }>({
              name: 'take',
              text: 'UPDATE bench_one_write SET token = token + 1 WHERE id = $1 RETURNING token',
              values: [args.id],
            });
            return Number(rows[0]?.token);
          },
        },
        // What an authenticated request can do at best: one read (its caller looked up), then
        // its one durable write.
        readTake: {
          type: new GraphQLNonNull(GraphQLInt),
          args: { id: { type: new GraphQLNonNull(GraphQLInt) } },
          resolve: async (_root, args: { id: number }) => {
            await pool.query({
              name: 'read',
              text: 'SELECT token FROM bench_one_write WHERE id = $1',
              values: [args.id],
            });
            const { rows } = await pool.query<{ token: string }>({
              name: 'take',
              text: 'UPDATE bench_one_write SET token = token + 1 WHERE id = $1 RETURNING token',
              values: [args.id],
            });
            return Number(rows[0]?.token);
          },
        },
      },
    }),
  });

  const apollo = new ApolloServer({ schema });
  const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });

  const wsServer = http.createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({ server: wsServer, path: '/graphql' });
  const graphqlWs = useServer({ schema }, wss);
  await new Promise<void>((resolve) => wsServer.listen(0, '127.0.0.1', resolve));
  const { port } = wsServer.address() as AddressInfo;

  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    stop: async () => {
      for (const client of wss.clients) client.terminate();
      await graphqlWs.dispose();
      await new Promise((resolve) => wsServer.close(resolve));
      await apollo.stop();
      await pool.end();
    },
  };
}

/** A request body for the one-write server's one read, of row `id` (1-based). */
export const readBody = (id: number): string =>
  JSON.stringify({ query: 'query Read($id: Int!) { read(id: $id) }', variables: { id } });

/** A request body for the one-write server's mutation, on row `id` (1-based). */
export const takeBody = (id: number): string =>
  JSON.stringify({ query: 'mutation Take($id: Int!) { take(id: $id) }', variables: { id } });

/** A request body for the one-write server's read then write, on row `id` (1-based). */
export const readTakeBody = (id: number): string =>
  JSON.stringify({
    query: 'mutation ReadTake($id: Int!) { readTake(id: $id) }',
    variables: { id },
  });
