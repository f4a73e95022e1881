import { statementCounter } from '../../src/db/data-source';
import { ConversationStatus } from '../../src/entities/enums';
import {
  type Member,
  newAgent,
  newConversation,
  newCustomer,
  newInbox,
  newOrg,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

/**
 * Issue 20: a page of customers (`customers`, `myCustomers`) brings the relations its query
 * selects (contacts, a page of conversations with their assignees, helpers with their staff, the
 * last conversation) as JSON built by Postgres in the page's own statement
 * (src/context/embedded-relations.ts, src/schema/nested-selection.ts). The answer must be what
 * the loaders give: the same selection on one customer (`customer(id:)`, never embedded) is the
 * reference, as an AGENT who sees only some conversations.
 */
describe('relations built by Postgres in the page statement (issue 20)', () => {
  let server: TestServer;
  let org: Org;
  let agent: Member;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    const elsewhere = await newInbox(org);
    agent = await newAgent(org, { inboxes: [org.inbox] });
    const other = await newAgent(org, { inboxes: [org.inbox, elsewhere] });
    const { services } = server;
    const auth = org.admin.auth;
    const customers = [];
    for (let i = 0; i < 6; i++)
      customers.push(
        await newCustomer(org, {
          name: `Embedded ${i}`,
          ...(i % 3 === 2 ? {} : { email: `embedded-${i}-${org.id}@example.com` }),
          ...(i % 2 ? { phone: `+1415555${String(2000 + i)}` } : {}),
        }),
      );
    for (const [i, customer] of customers.entries()) {
      for (let n = 0; n < (i % 3) + i; n++) {
        const inbox = n % 5 === 4 ? elsewhere : org.inbox;
        const conversation = await newConversation(org, { customer, inbox });
        const assignee = [agent, other, null][n % 3];
        if (assignee) await services.conversations.assign(auth, conversation.id, assignee.staff.id);
        if (n % 4 === 1) await services.conversations.close(auth, conversation.id);
        if (n === 3) await services.conversations.delete(auth, conversation.id);
      }
      if (i % 2 === 0) await services.helpers.add(auth, customer.id, agent.staff.id);
      if (i % 3 === 0)
        await services.helpers.add(auth, customer.id, other.staff.id, new Date(Date.now() + 3.6e6));
      if (i === 4) await services.helpers.end(auth, customer.id, agent.staff.id);
    }
  }, 120_000);
  afterAll(() => server.stop());

  const NODE = `id name contacts { kind value createdAt }
    conversations(first: 2) { pageInfo { hasNextPage endCursor }
      edges { cursor node { id status channel createdAt assignee { id name createdAt } } } }
    helperCount helperTag
    helpers { assignedAt until endedAt staff { name } assignedBy { kind name } }
    lastConversation { id status createdAt }`;

  async function recorded<T>(run: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const counter = statementCounter(server.dataSource);
    counter.recorded = [];
    const result = await run();
    const statements = counter.recorded;
    counter.recorded = undefined;
    return { result, statements };
  }

  /** Each node of a page, and the same selection read on its own (by the loaders). */
  async function pageAndReference(
    client: Member,
    page: string,
    node: string,
    variables: Record<string, unknown> = {},
    declarations = '',
  ) {
    const listed = await client.api.request<
      Record<string, { edges: Array<{ node: { id: string } }> }>,
      Record<string, unknown>
    >(`query ${declarations} { ${page} { edges { node { ${node} } } } }`, variables);
    expect(listed.errors).toBeUndefined();
    const nodes = Object.values(listed.data ?? {})[0]?.edges.map((edge) => edge.node) ?? [];
    const one = `query ($id: ID! ${declarations.replace(/^\(|\)$/g, '')}) { customer(id: $id) { ${node} } }`;
    const reference = [];
    for (const { id } of nodes) {
      const alone = await client.api.request<{ customer: unknown }, Record<string, unknown>>(one, {
        ...variables,
        id,
      });
      expect(alone.errors).toBeUndefined();
      reference.push(alone.data?.customer);
    }
    return { nodes, reference };
  }

  it('answers a page of customers with contacts, conversations, assignees and helpers as the loaders do', async () => {
    const { nodes, reference } = await pageAndReference(agent, 'customers(first: 10)', NODE);
    expect(nodes).toHaveLength(6);
    expect(nodes).toEqual(reference);
    // The data is varied enough to mean something.
    const text = JSON.stringify(nodes);
    for (const seen of [
      '"hasNextPage":true',
      '"assignee":null',
      '"helperTag":"ME"',
      '"helperTag":"OTHERS"',
      '"helperTag":"NONE"',
      '"contacts":[]',
      '"lastConversation":null',
    ])
      expect(text).toContain(seen);
  });

  it('reads the page and every relation in one statement, whatever the page size', async () => {
    const query = (first: number) =>
      agent.api.request(`{ customers(first: ${first}) { edges { node { ${NODE} } } } }`);
    const few = await recorded(() => query(2));
    const many = await recorded(() => query(6));
    expect(many.statements).toHaveLength(few.statements.length);
    const pages = many.statements.filter((sql) => sql.includes('FROM "customer" "customer"'));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatch(/json_agg/);
    // No loader ran: the page was the only read of these tables.
    for (const loader of [
      /FROM contact WHERE/,
      /parent_key/,
      /FROM helper_assignment WHERE/,
      /FROM staff WHERE/,
    ])
      expect(many.statements.filter((sql) => loader.test(sql))).toEqual([]);
  });

  it('answers myCustomers (the helpers dashboard) as the loaders do', async () => {
    const { nodes, reference } = await pageAndReference(
      agent,
      'myCustomers(first: 10)',
      'id name helpers { staff { name } } lastConversation { id status }',
    );
    expect(nodes.length).toBeGreaterThan(1);
    expect(nodes).toEqual(reference);
  });

  it('takes the arguments from variables, a new value each request', async () => {
    for (const first of [1, 3]) {
      const { nodes, reference } = await pageAndReference(
        agent,
        'customers(first: 10)',
        'id conversations(first: $n, status: $status) { pageInfo { hasNextPage } edges { node { id } } }',
        { n: first, status: first === 1 ? null : ConversationStatus.OPEN },
        '($n: Int!, $status: ConversationStatus)',
      );
      expect(nodes).toEqual(reference);
    }
  });

  it('leaves to the loaders what it does not embed: a totalCount, the same relation with two arguments', async () => {
    const node = `id conversations(first: 1) { totalCount edges { node { id assignee { name } } } }
      a: contacts { value } b: contacts { kind }
      few: conversations(first: 1, status: CLOSED) { edges { node { id } } }`;
    const { nodes, reference } = await pageAndReference(agent, 'customers(first: 10)', node);
    expect(nodes).toEqual(reference);
    const { statements } = await recorded(() =>
      agent.api.request(`{ customers(first: 10) { edges { node { ${node} } } } }`),
    );
    expect(statements.some((sql) => sql.includes('parent_key'))).toBe(true);
  });

  it('refuses a bad nested page size as before', async () => {
    const error = await agent.api.fails(
      '{ customers(first: 5) { edges { node { conversations(first: 0) { edges { node { id } } } } } } }',
    );
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
