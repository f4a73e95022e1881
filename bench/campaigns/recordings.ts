import { encodeCursor } from '../../src/db/pagination';
import { Direction, InteractionState } from '../../src/entities/enums';
import {
  type RecordsQuery,
  STATE,
  recordsWhere,
} from '../../src/services/campaign/recordings.store';
import {
  type PlainPgServer,
  type PlainQuery,
  startPlainPgServer,
} from '../support/baselines/plain-pg';
import type { RecordingsData } from './recordings-seed';

/** What a recordings screen asks: a page of 20 rows with their columns. */
export const RECORDS_DOCUMENT = `query Records($filter: InteractionRecordFilterInput, $after: String) {
  interactionRecords(filter: $filter, first: 20, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id createdAt number direction interactionState subject
        campaign { id name }
        assignee { id name }
      }
    }
  }
}`;

export interface RecordsFilter {
  from?: string;
  to?: string;
  number?: string;
  subject?: string;
  campaignId?: string;
  agentId?: string;
  direction?: Direction;
  state?: InteractionState;
}

export interface RecordsCase {
  label: string;
  filter: RecordsFilter;
}

const dayAfter = (day: Date, days: number) =>
  new Date(day.getTime() + days * 86_400_000).toISOString();

/** The searches a supervisor makes, each a case of its own: every filter, and a few together. */
export function recordsCases(data: RecordingsData): RecordsCase[] {
  const [c1, c2] = data.campaignIds as [string, string];
  const [a1, a2] = data.agentIds as [string, string];
  return [
    { label: 'newest', filter: {} },
    {
      label: 'one day',
      filter: { from: dayAfter(data.firstDay, 30), to: dayAfter(data.firstDay, 31) },
    },
    { label: 'number', filter: { number: data.numbers[0] as string } },
    { label: 'subject', filter: { subject: 'refund' } },
    { label: 'campaign', filter: { campaignId: c1 } },
    { label: 'agent', filter: { agentId: a1 } },
    { label: 'direction', filter: { direction: Direction.OUTGOING } },
    { label: 'state', filter: { state: InteractionState.ABANDONED } },
    {
      label: 'campaign + state + week',
      filter: {
        campaignId: c2,
        state: InteractionState.CLOSED,
        from: dayAfter(data.firstDay, 7),
        to: dayAfter(data.firstDay, 14),
      },
    },
    { label: 'agent + waiting (none)', filter: { agentId: a2, state: InteractionState.WAITING } },
  ];
}

/** The service's reading of a filter (the cases are already normalized: E.164, no wildcards). */
function queryOf(organizationId: string, filter: RecordsFilter): RecordsQuery {
  return {
    organizationId,
    onlyAssignedTo: null,
    from: filter.from ? new Date(filter.from) : null,
    to: filter.to ? new Date(filter.to) : null,
    number: filter.number ?? null,
    subjectPattern: filter.subject ? `%${filter.subject}%` : null,
    campaignId: filter.campaignId ?? null,
    agentId: filter.agentId ?? null,
    direction: filter.direction ?? null,
    state: filter.state ?? null,
  };
}

/**
 * The raw baseline: the same search (the store's very conditions, order and limit) as one
 * statement joining the columns a row shows (number, campaign, agent), run with plain `pg`,
 * put in the GraphQL answer's shape by a bare node `http` handler.
 */
export function startRawRecordsServer(options: {
  databaseUrl: string;
  organizationId: string;
  poolSize: number;
}): Promise<PlainPgServer> {
  return startPlainPgServer(options.databaseUrl, options.poolSize, (query: PlainQuery) => {
    return async (request) => {
      const { variables } = JSON.parse(request.body) as {
        variables: { filter?: RecordsFilter; after?: string };
      };
      const { where, values } = recordsWhere(
        queryOf(options.organizationId, variables.filter ?? {}),
      );
      if (variables.after) {
        const [at, id] = JSON.parse(Buffer.from(variables.after, 'base64url').toString()) as [
          string,
          string,
        ];
        values.push(at, id);
        where.push(`(c.created_at, c.id) < ($${values.length - 1}, $${values.length})`);
      }
      values.push(21);
      const { rows } = await query(
        `SELECT c.id, c.created_at, c.direction, c.subject, ${STATE} AS state,
                k.value AS number, cp.id AS campaign_id, cp.name AS campaign_name,
                s.id AS agent_id, s.name AS agent_name
           FROM conversation c
           LEFT JOIN contact k ON k.id = c.contact_id
           JOIN campaign cp ON cp.id = c.campaign_id
           LEFT JOIN staff s ON s.id = c.assignee_id
          WHERE ${where.join(' AND ')}
          ORDER BY c.created_at DESC, c.id DESC LIMIT $${values.length}`,
        values,
      );
      const page = rows.slice(0, 20);
      const cursors = page.map((row) =>
        encodeCursor([(row.created_at as Date).toISOString(), row.id as string]),
      );
      return {
        data: {
          interactionRecords: {
            pageInfo: { hasNextPage: rows.length > 20, endCursor: cursors.at(-1) ?? null },
            edges: page.map((row, i) => ({
              cursor: cursors[i],
              node: {
                id: row.id,
                createdAt: (row.created_at as Date).toISOString(),
                number: row.number,
                direction: row.direction,
                interactionState: row.state,
                subject: row.subject,
                campaign: { id: row.campaign_id, name: row.campaign_name },
                assignee: row.agent_id ? { id: row.agent_id, name: row.agent_name } : null,
              },
            })),
          },
        },
      };
    };
  });
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function indexesOf(node: PlanNode): string[] {
  const own = node['Index Name'] ? [node['Index Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(indexesOf)];
}

/**
 * EXPLAIN ANALYZE of each case's search statement (as the store sends it) on the seeded rows:
 * the indexes it used and its execution time inside Postgres, best of three.
 */
export async function explainCases(
  run: (sql: string, values: unknown[]) => Promise<unknown>,
  organizationId: string,
  cases: RecordsCase[],
): Promise<Array<[string, string, string]>> {
  const lines: Array<[string, string, string]> = [];
  for (const { label, filter } of cases) {
    const { where, values } = recordsWhere(queryOf(organizationId, filter));
    values.push(21);
    const sql = `EXPLAIN (ANALYZE, FORMAT JSON) SELECT c.*, ${STATE} AS interaction_state
      FROM conversation c WHERE ${where.join(' AND ')}
      ORDER BY c.created_at DESC, c.id DESC LIMIT $${values.length}`;
    let best = Number.POSITIVE_INFINITY;
    let indexes: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const [row] = (await run(sql, values)) as Array<{
        'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }>;
      }>;
      const plan = row?.['QUERY PLAN'][0];
      if (!plan) throw new Error(`no plan for ${label}`);
      best = Math.min(best, plan['Execution Time']);
      indexes = indexesOf(plan.Plan);
    }
    lines.push([
      label,
      [...new Set(indexes)].join(', ') || 'none (sequential scan)',
      `${best.toFixed(2)} ms`,
    ]);
  }
  return lines;
}
