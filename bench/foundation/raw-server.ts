import {
  type PlainHandler,
  type PlainPgServer,
  type PlainQuery,
  startPlainPgServer,
} from '../support/baselines/plain-pg';

export interface RawServerOptions {
  databaseUrl: string;
  organizationId: string;
  /** The agent the answer is for: conversations are limited to what they may see, as ours does. */
  viewerId: string;
  customers: number;
  conversationsPerCustomer: number;
  /** Connections, as many as our server's pool. */
  poolSize: number;
}

interface ConversationRow {
  customer_id: string;
  assignee_id: string | null;
}

/**
 * The raw baseline: what a hand-written endpoint costs for the foundation query's answer. The
 * same rows as ours (same order, same visibility rule) with plain `pg`, in as many round trips
 * as a batching server needs (customers; contacts and conversations at once; assignees), put in
 * the GraphQL answer's shape and serialized with JSON.stringify by a bare node `http` handler.
 * No parsing, validation, auth or framework: the floor ours is measured against.
 */
export function startRawServer(options: RawServerOptions): Promise<PlainPgServer> {
  return startPlainPgServer(options.databaseUrl, options.poolSize, (query) =>
    handlerOf(options, query),
  );
}

function handlerOf(options: RawServerOptions, query: PlainQuery): PlainHandler {
  const { organizationId: org, viewerId } = options;
  return async () => {
    const customers = await query<{ id: string }>(
      'SELECT id FROM customer WHERE organization_id = $1 ORDER BY name, id LIMIT $2',
      [org, options.customers],
    );
    const customerIds = customers.rows.map((row) => row.id);
    const [contacts, conversations] = await Promise.all([
      query<{ customer_id: string; value: string }>(
        `SELECT customer_id, value FROM contact
          WHERE organization_id = $1 AND customer_id = ANY($2)
          ORDER BY created_at, id`,
        [org, customerIds],
      ),
      query<ConversationRow>(
        `SELECT customer_id, assignee_id FROM (
           SELECT c.customer_id, c.assignee_id,
                  row_number() OVER (PARTITION BY c.customer_id
                                     ORDER BY c.created_at DESC, c.id DESC) AS rn
             FROM conversation c
            WHERE c.organization_id = $1 AND c.customer_id = ANY($2) AND c.deleted_at IS NULL
              AND (c.assignee_id = $3 OR c.inbox_id IN
                    (SELECT m.inbox_id FROM inbox_member m WHERE m.staff_id = $3))
         ) ranked
         WHERE rn <= $4
         ORDER BY rn`,
        [org, customerIds, viewerId, options.conversationsPerCustomer],
      ),
    ]);
    const assigneeIds = [
      ...new Set(conversations.rows.flatMap((row) => (row.assignee_id ? [row.assignee_id] : []))),
    ];
    const staff = assigneeIds.length
      ? await query<{ id: string; name: string }>(
          'SELECT id, name FROM staff WHERE organization_id = $1 AND id = ANY($2)',
          [org, assigneeIds],
        )
      : { rows: [] };

    const names = new Map(staff.rows.map((row) => [row.id, row.name]));
    const contactsOf = new Map<string, Array<{ value: string }>>();
    for (const row of contacts.rows) {
      const list = contactsOf.get(row.customer_id) ?? [];
      list.push({ value: row.value });
      contactsOf.set(row.customer_id, list);
    }
    const conversationsOf = new Map<string, ConversationRow[]>();
    for (const row of conversations.rows) {
      const list = conversationsOf.get(row.customer_id) ?? [];
      list.push(row);
      conversationsOf.set(row.customer_id, list);
    }
    return {
      data: {
        customers: {
          edges: customerIds.map((id) => ({
            node: {
              contacts: contactsOf.get(id) ?? [],
              conversations: {
                edges: (conversationsOf.get(id) ?? []).map((row) => ({
                  node: {
                    assignee: row.assignee_id ? { name: names.get(row.assignee_id) ?? null } : null,
                  },
                })),
              },
            },
          })),
        },
      },
    };
  };
}
