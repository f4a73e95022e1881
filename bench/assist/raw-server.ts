import {
  type PlainHandler,
  type PlainPgServer,
  type PlainQuery,
  startPlainPgServer,
} from '../support/baselines/plain-pg';
import { encodeCursor } from '../../src/db/pagination';
import {
  type AssistReportGroup,
  reportStatement,
} from '../../src/services/assist/assist-report.queries';
import { searchStatement, searchTermsOf } from '../../src/services/assist/customer-search.queries';

interface Body {
  variables: { q?: string; from?: string; to?: string; groupBy?: AssistReportGroup };
}

/**
 * The raw baseline: the very same ranked search statement and report aggregate, run with plain
 * `pg`, put in the GraphQL answer's shape and serialized with JSON.stringify by a bare node
 * `http` handler. No parsing of GraphQL, validation, auth or framework: the floor.
 */
export function startRawAssistServer(options: {
  databaseUrl: string;
  organizationId: string;
  poolSize: number;
}): Promise<PlainPgServer> {
  return startPlainPgServer(options.databaseUrl, options.poolSize, (pgQuery) =>
    handlerOf(options.organizationId, pgQuery),
  );
}

function handlerOf(org: string, pgQuery: PlainQuery): PlainHandler {
  let named = 0;
  const names = new Map<string, string>();
  /** Prepared once per connection, as ours does (src/db/prepared.ts). */
  const query = (text: string, values: unknown[]) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `raw_assist_${(named += 1)}`));
    return pgQuery({ name, text, values });
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

  return async (request) => {
    const { variables } = JSON.parse(request.body) as Body;
    return variables.q !== undefined
      ? search(variables.q)
      : report(
          variables.from as string,
          variables.to as string,
          variables.groupBy as AssistReportGroup,
        );
  };
}
