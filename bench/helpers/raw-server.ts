import {
  type PlainPgServer,
  type PlainHandler,
  type PlainQuery,
  startPlainPgServer,
} from '../support/baselines/plain-pg';

/** The dashboard (`myCustomers` with helpers and the last conversation) at this path... */
export const MY_CUSTOMERS_PATH = '/my-customers';
/** ...and the customer list (`customers` with helper count, tag and helpers) at this one. */
export const CUSTOMERS_PATH = '/customers';

export interface RawHelpersOptions {
  databaseUrl: string;
  organizationId: string;
  /** The agent the answers are for (their helpers tag, the conversations they may see). */
  viewerId: string;
  rows: number;
  /** Connections, as many as our server's pool. */
  poolSize: number;
}

/** An assignment (of table alias `a`) in force: not ended, and its `until` (if any) ahead. */
const active = (a: string) =>
  `${a}.ended_at IS NULL AND (${a}.until IS NULL OR ${a}.until > now())`;

/**
 * The raw baseline of the helpers benchmark: what hand-written endpoints cost for the two
 * answers. The same rows as ours (same order, same rules: assignments in force, conversations the
 * agent may see), fetched with plain `pg` in as many round trips as a batching server needs, put
 * in the GraphQL answer's shape and serialized with JSON.stringify by a bare node `http` handler.
 * No parsing, validation, auth or framework: the floor ours is measured against.
 */
export function startRawHelpersServer(options: RawHelpersOptions): Promise<PlainPgServer> {
  return startPlainPgServer(options.databaseUrl, options.poolSize, (query) =>
    handlerOf(options, query),
  );
}

function handlerOf(options: RawHelpersOptions, query: PlainQuery): PlainHandler {
  const { organizationId: org, viewerId, rows } = options;

  const helpersOf = (customerIds: string[]) =>
    query<{ customer_id: string; staff_id: string }>(
      `SELECT a.customer_id, a.staff_id FROM helper_assignment a
        WHERE a.customer_id = ANY($1) AND a.organization_id = $2 AND ${active('a')}
        ORDER BY a.assigned_at, a.id`,
      [customerIds, org],
    );
  const namesOf = async (staffIds: string[]): Promise<Map<string, string>> => {
    if (staffIds.length === 0) return new Map();
    const staff = await query<{ id: string; name: string }>(
      'SELECT id, name FROM staff WHERE organization_id = $1 AND id = ANY($2)',
      [org, [...new Set(staffIds)]],
    );
    return new Map(staff.rows.map((row) => [row.id, row.name]));
  };
  const group = <R extends { customer_id: string }>(list: R[]): Map<string, R[]> => {
    const groups = new Map<string, R[]>();
    for (const row of list) {
      const members = groups.get(row.customer_id);
      if (members) members.push(row);
      else groups.set(row.customer_id, [row]);
    }
    return groups;
  };

  /** Customers the viewer helps, most recent activity first; helpers; last visible conversation. */
  const myCustomers = async (): Promise<unknown> => {
    const customers = await query<{ id: string; name: string }>(
      `SELECT c.id, c.name FROM customer c
         JOIN helper_assignment a ON a.customer_id = c.id AND ${active('a')}
        WHERE a.staff_id = $1 AND c.organization_id = $2
        ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $3`,
      [viewerId, org, rows],
    );
    const ids = customers.rows.map((row) => row.id);
    const [helpers, conversations] = await Promise.all([
      helpersOf(ids),
      query<{ customer_id: string; id: string; status: string }>(
        `SELECT DISTINCT ON (t.customer_id) t.customer_id, t.id, t.status FROM conversation t
          WHERE t.customer_id = ANY($1) AND t.organization_id = $2 AND t.deleted_at IS NULL
            AND (t.assignee_id = $3 OR t.inbox_id IN
                  (SELECT m.inbox_id FROM inbox_member m WHERE m.staff_id = $3))
          ORDER BY t.customer_id, t.created_at DESC, t.id DESC`,
        [ids, org, viewerId],
      ),
    ]);
    const names = await namesOf(helpers.rows.map((row) => row.staff_id));
    const helpersOfCustomer = group(helpers.rows);
    const last = new Map(conversations.rows.map((row) => [row.customer_id, row]));
    return {
      data: {
        myCustomers: {
          edges: customers.rows.map(({ id, name }) => {
            const conversation = last.get(id);
            return {
              node: {
                id,
                name,
                helpers: (helpersOfCustomer.get(id) ?? []).map((row) => ({
                  staff: { name: names.get(row.staff_id) ?? null },
                })),
                lastConversation: conversation
                  ? { id: conversation.id, status: conversation.status }
                  : null,
              },
            };
          }),
        },
      },
    };
  };

  /** The customer list by name, each with its helpers, their count and the viewer's tag. */
  const customers = async (): Promise<unknown> => {
    const page = await query<{ id: string }>(
      'SELECT id FROM customer WHERE organization_id = $1 ORDER BY name, id LIMIT $2',
      [org, rows],
    );
    const ids = page.rows.map((row) => row.id);
    const helpers = await helpersOf(ids);
    const names = await namesOf(helpers.rows.map((row) => row.staff_id));
    const helpersOfCustomer = group(helpers.rows);
    return {
      data: {
        customers: {
          edges: ids.map((id) => {
            const own = helpersOfCustomer.get(id) ?? [];
            return {
              node: {
                helperCount: own.length,
                helperTag:
                  own.length === 0
                    ? 'NONE'
                    : own.some((row) => row.staff_id === viewerId)
                      ? 'ME'
                      : 'OTHERS',
                helpers: own.map((row) => ({ staff: { name: names.get(row.staff_id) ?? null } })),
              },
            };
          }),
        },
      },
    };
  };

  return async (request) => {
    if (request.path === MY_CUSTOMERS_PATH) return myCustomers();
    if (request.path === CUSTOMERS_PATH) return customers();
    throw new Error(`no answer at ${request.path}`);
  };
}
