import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { encodeCursor } from '../../src/db/pagination';
import {
  type AssistReportGroup,
  reportStatement,
} from '../../src/services/assist/assist-report.queries';
import { searchStatement, searchTermsOf } from '../../src/services/assist/customer-search.queries';

export interface RawAssistServer {
  url: string;
  /** SQL statements sent so far. */
  statements(): number;
  stop(): Promise<void>;
}

interface Body {
  variables: { q?: string; from?: string; to?: string; groupBy?: AssistReportGroup };
}

/**
 * The raw baseline: the very same ranked search statement and report aggregate, run with plain
 * `pg`, put in the GraphQL answer's shape and serialized with JSON.stringify by a bare node
 * `http` handler. No parsing of GraphQL, validation, auth or framework: the floor.
 */
export async function startRawAssistServer(options: {
  databaseUrl: string;
  organizationId: string;
  poolSize: number;
}): Promise<RawAssistServer> {
  const pool = new Pool({ connectionString: options.databaseUrl, max: options.poolSize });
  const org = options.organizationId;
  let statements = 0;
  let named = 0;
  const names = new Map<string, string>();
  /** Prepared once per connection, as ours does (src/db/prepared.ts). */
  const query = (text: string, values: unknown[]) => {
    statements += 1;
    let name = names.get(text);
    if (!name) names.set(text, (name = `raw_assist_${(named += 1)}`));
    return pool.query({ name, text, values });
  };

  const search = async (q: string): Promise<unknown> => {
    const { text, values } = searchStatement(org, searchTermsOf(q), null, 21);
    const { rows } = await query(text, values);
    const found = rows.filter((row) => row.id !== null);
    return {
      data: {
        searchCustomers: {
          totalCount: Number(rows[0]?.search_total ?? 0),
          edges: found.slice(0, 20).map((row) => ({
            cursor: encodeCursor([row.search_tier, row.search_score, row.name, row.id]),
            node: {
              id: row.id,
              name: row.name,
              username: row.username,
              email: row.email,
              phone: row.phone,
              postalAddress: row.postal_address,
            },
          })),
        },
      },
    };
  };

  const figures = (sessions: number, totalSeconds: number) => ({
    sessions,
    totalSeconds,
    averageSeconds: sessions ? Math.round((totalSeconds / sessions) * 1000) / 1000 : 0,
  });
  const report = async (from: string, to: string, groupBy: AssistReportGroup): Promise<unknown> => {
    const { text, values } = reportStatement(org, { from, to }, groupBy);
    const { rows } = await query(text, values);
    const lines = rows
      .filter((row) => row.key !== null)
      .map((row) => ({
        key: row.key,
        ...figures(Number(row.sessions), Number(row.total_seconds)),
      }));
    return {
      data: {
        assistReport: {
          timeZone: rows[0]?.time_zone,
          lines,
          totals: figures(
            lines.reduce((sum, line) => sum + line.sessions, 0),
            lines.reduce((sum, line) => sum + line.totalSeconds, 0),
          ),
        },
      },
    };
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
      const answer =
        variables.q !== undefined
          ? search(variables.q)
          : report(
              variables.from as string,
              variables.to as string,
              variables.groupBy as AssistReportGroup,
            );
      answer.then(
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
    url: `http://127.0.0.1:${port}/graphql`,
    statements: () => statements,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}
