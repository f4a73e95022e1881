import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';

/**
 * The raw baseline of the request benchmarks: plain `pg` behind a bare node `http` handler that
 * serializes the answer with JSON.stringify. No GraphQL parsing, validation, auth or framework:
 * the floor ours is measured against. Each benchmark gives the handler that fetches its rows.
 */
export interface PlainPgServer {
  url: string;
  /** SQL statements sent so far. */
  statements(): number;
  stop(): Promise<void>;
}

export type PlainQuery = <R extends QueryResultRow>(
  sql: string | QueryConfig,
  values?: unknown[],
) => Promise<QueryResult<R>>;

/** What the handler is asked: the request's path and body. */
export interface PlainRequest {
  path: string;
  body: string;
}

export type PlainHandler = (request: PlainRequest) => Promise<unknown>;

export async function startPlainPgServer(
  databaseUrl: string,
  /** Connections, as many as our server's pool. */
  poolSize: number,
  /** Given the counting query function, the handler that answers a request. */
  handlerOf: (query: PlainQuery) => PlainHandler,
): Promise<PlainPgServer> {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  let statements = 0;
  const query: PlainQuery = (sql, values) => {
    statements += 1;
    return pool.query(sql as string, values);
  };
  const answer = handlerOf(query);
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const asked = { path: request.url ?? '/', body: Buffer.concat(chunks).toString('utf8') };
      answer(asked).then(
        (value) => {
          const body = JSON.stringify(value);
          response.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statements: () => statements,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}
