import { randomUUID } from 'node:crypto';
import { parse, type OperationDefinitionNode } from 'graphql';
import { getSchema } from '../../src/schema/build-schema';
import { CompiledQueries } from '../../src/schema/compiled-queries';
import { newAgent, newConversation, newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

/**
 * Issue 20: queries run compiled (graphql-jit behind Apollo, src/schema/compiled-queries.ts).
 * What a client sees must not change: answers, error codes and paths, partial data, bad input
 * in graphql-js's words, auth checks, tenancy. Mutations and introspection keep graphql-js.
 */
describe('compiled queries (issue 20)', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  const operationOf = (text: string) => {
    const document = parse(text);
    const operation = document.definitions[0] as OperationDefinitionNode;
    return { document, operation, operationName: null };
  };

  it('compiles queries, and leaves mutations and introspection to graphql-js', async () => {
    const queries = new CompiledQueries(await getSchema());
    expect(queries.isCompiled(operationOf('{ customers(first: 2) { totalCount } }'))).toBe(true);
    expect(queries.isCompiled(operationOf('mutation { signOut { __typename } }'))).toBe(false);
    expect(queries.isCompiled(operationOf('{ __schema { queryType { name } } }'))).toBe(false);
  });

  it('answers a nested list as graphql-js did: rows, relations, totals, cursors', async () => {
    const agent = await newAgent(org, { inboxes: [org.inbox] });
    const customer = await newCustomer(org, { name: `Compiled ${randomUUID()}` });
    await newConversation(org, { customer });
    await newConversation(org, { customer });
    const { data, errors } = await agent.api.request<
      {
        customer: {
          name: string;
          contacts: unknown[];
          conversations: {
            totalCount: number;
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
            edges: Array<{ cursor: string; node: { id: string; status: string } }>;
          };
        };
      },
      { id: string }
    >(
      `query ($id: ID!) { customer(id: $id) { name contacts { value }
         conversations(first: 1) { totalCount pageInfo { hasNextPage endCursor }
           edges { cursor node { id status } } } } }`,
      { id: customer.id },
    );
    expect(errors).toBeUndefined();
    expect(data?.customer.name).toBe(customer.name);
    expect(data?.customer.conversations.totalCount).toBe(2);
    expect(data?.customer.conversations.pageInfo.hasNextPage).toBe(true);
    expect(data?.customer.conversations.edges).toHaveLength(1);
    expect(data?.customer.conversations.pageInfo.endCursor).toBe(
      data?.customer.conversations.edges[0]?.cursor,
    );
    expect(data?.customer.conversations.edges[0]?.node.status).toBe('OPEN');
  });

  it("keeps a resolver's error code and path, with the rest of the answer", async () => {
    const known = await newCustomer(org);
    const result = await org.admin.api.request(
      `query ($known: ID!, $unknown: ID!) {
         known: customer(id: $known) { id }
         unknown: customer(id: $unknown) { id } }`,
      { known: known.id, unknown: randomUUID() },
    );
    expect(result.status).toBe(200);
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({
      path: ['unknown'],
      extensions: { code: 'NOT_FOUND' },
    });
    // customer is non-null: the error nulls the whole answer, as graphql-js does.
    expect(result.data).toBeNull();
  });

  it("refuses another organization's record as NOT_FOUND", async () => {
    const other = await newOrg(server);
    const theirs = await newCustomer(other);
    const error = await org.admin.api.fails(`query ($id: ID!) { customer(id: $id) { id } }`, {
      id: theirs.id,
    });
    expect(error.extensions?.code).toBe('NOT_FOUND');
  });

  it("refuses bad variables in graphql-js's words, as BAD_USER_INPUT", async () => {
    const result = await org.admin.api.request(
      `query ($n: Int!) { customers(first: $n) { totalCount } }`,
      { n: 'many' },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/^Variable "\$n" got invalid value "many"/);
    expect(result.data).toBeUndefined();
  });

  it('runs the auth checks: no caller is UNAUTHENTICATED, a refused role FORBIDDEN', async () => {
    const anonymous = await org.anonymous.fails('{ customers(first: 1) { totalCount } }');
    expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
    const agent = await newAgent(org);
    // The audit trail is for ADMINs only.
    const refused = await agent.api.fails('{ auditEvents(first: 1) { totalCount } }');
    expect(refused.extensions?.code).toBe('FORBIDDEN');
  });
});
