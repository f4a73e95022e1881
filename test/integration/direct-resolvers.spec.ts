import { isObjectType } from 'graphql';
import { getSchema } from '../../src/schema/build-schema';
import { isDirect } from '../../src/schema/direct-resolvers';
import { newAgent, newConversation, newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

/**
 * Issue 20: field resolver methods are called directly (src/schema/direct-resolvers.ts), not
 * through type-graphql's per-call machinery. Their parameters, argument validation, errors and
 * batching must stay as they were.
 */
describe('field resolvers called directly (issue 20)', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  const field = async (type: string, name: string) => {
    const object = (await getSchema()).getType(type);
    if (!isObjectType(object)) throw new Error(`${type} is not an object type`);
    const found = object.getFields()[name];
    if (!found) throw new Error(`${type}.${name} is not in the schema`);
    return found;
  };

  it('calls the nested list fields directly and leaves guarded ones to type-graphql', async () => {
    // The fields a page of customers calls per row.
    for (const [type, name] of [
      ['Customer', 'contacts'],
      ['Customer', 'conversations'],
      ['Customer', 'helpers'],
      ['Customer', 'lastConversation'],
      ['Conversation', 'assignee'],
      ['HelperAssignment', 'staff'],
    ] as const)
      expect([type, name, isDirect((await field(type, name)).resolve)]).toEqual([type, name, true]);
    // @Authorized keeps type-graphql's auth middleware; root fields are called once a request.
    expect(isDirect((await field('Provider', 'health')).resolve)).toBe(false);
    expect(isDirect((await field('Query', 'customers')).resolve)).toBe(false);
  });

  it('answers nested fields with arguments as before: each page, its count and cursors', async () => {
    const agent = await newAgent(org, { inboxes: [org.inbox] });
    const customers = [await newCustomer(org), await newCustomer(org)];
    for (const customer of customers) {
      await newConversation(org, { customer });
      await newConversation(org, { customer });
    }
    const query = `query ($a: ID!, $b: ID!) {
      a: customer(id: $a) { id conversations(first: 1) { totalCount edges { cursor node { id } } } }
      b: customer(id: $b) { id conversations(first: 2) { totalCount edges { node { id } } } } }`;
    const first = await agent.api.request<
      {
        a: { conversations: { totalCount: number; edges: Array<{ cursor: string }> } };
        b: { conversations: { totalCount: number; edges: unknown[] } };
      },
      { a: string; b: string }
    >(query, { a: customers[0]!.id, b: customers[1]!.id });
    expect(first.errors).toBeUndefined();
    const data = first.data!;
    expect(data.a.conversations.totalCount).toBe(2);
    expect(data.a.conversations.edges).toHaveLength(1);
    expect(data.b.conversations.edges).toHaveLength(2);
    // The cursor it handed out is taken back by the same nested field.
    const next = await agent.api.request<
      { customer: { conversations: { edges: unknown[] } } },
      { id: string; after: string }
    >(
      `query ($id: ID!, $after: String) { customer(id: $id) {
         conversations(first: 5, after: $after) { edges { node { id } } } } }`,
      { id: customers[0]!.id, after: data.a.conversations.edges[0]!.cursor },
    );
    expect(next.errors).toBeUndefined();
    expect(next.data?.customer.conversations.edges).toHaveLength(1);
  });

  it('still validates nested arguments: text that cannot be stored is BAD_USER_INPUT at its path', async () => {
    const customer = await newCustomer(org);
    const result = await org.admin.api.request(
      `query ($id: ID!) { customer(id: $id) { id conversations(first: 1, after: "a\\u0000b") { totalCount } } }`,
      { id: customer.id },
    );
    expect(result.errors).toHaveLength(1);
    // The argument validator's refusal (before the method runs), not the cursor decoder's.
    expect(result.errors?.[0]).toMatchObject({
      path: ['customer', 'conversations'],
      message: expect.stringMatching(/NUL/),
      extensions: { code: 'BAD_USER_INPUT', field: 'after' },
    });
  });
});
