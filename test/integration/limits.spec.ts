import { type DocumentNode, getIntrospectionQuery, parse, validate } from 'graphql';
import { loadConfig } from '../../src/config';
import { statementCounter } from '../../src/db/data-source';
import { getSchema } from '../../src/schema/build-schema';
import { documentLimitRules, queryLimitsOf } from '../../src/schema/limits';
import { OperationCosts } from '../../src/schema/operation-cost';
import type { GraphQLErrorShape } from '../support/client';
import { newConversation, newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { connect, type Console, Subscription } from '../support/ws';

/**
 * The selection of a Customer that is `depth` fields deep, hopping customer → conversations →
 * customer → ... with pages of one (so that only the depth is large, not the cost).
 */
function customerSelection(depth: number): string {
  const leaves = ['id', 'contacts { id }', 'conversations(first: 1) { edges { cursor } }'];
  if (depth <= leaves.length) return leaves[depth - 1] as string;
  return `conversations(first: 1) { edges { node { ${conversationSelection(depth - 3)} } } }`;
}

function conversationSelection(depth: number): string {
  const leaves = ['id', 'inbox { id }', 'inbox { members { id } }'];
  if (depth <= leaves.length) return leaves[depth - 1] as string;
  return `customer { ${customerSelection(depth - 1)} }`;
}

/** A query exactly `depth` fields deep: customers { edges { node { ... } } }. */
function queryOfDepth(depth: number): string {
  return `query Deep { customers(first: 1) { edges { node { ${customerSelection(depth - 3)} } } } }`;
}

/** The same depth, but most of it hidden in a fragment and an inline fragment. */
function queryOfDepthInFragments(depth: number): string {
  return `query DeepFragments { customers(first: 1) { ...Page } }
    fragment Page on CustomerConnection { edges { node { ... on Customer { ...Deep } } } }
    fragment Deep on Customer { ${customerSelection(depth - 3)} }`;
}

/** Three nested pages of 100: a million messages if it ran. */
const WIDE = `query Wide {
  customers(first: 100) { edges { node {
    conversations(first: 100) { edges { node {
      messages(first: 100) { edges { node { id body } } }
    } } }
  } } }
}`;

const AUTHENTICATION = /FROM client_session s\s+JOIN staff st/;

/** The shape rules the server runs, with the depth limit at `maxDepth`. */
const depthLimit = (maxDepth: number) =>
  documentLimitRules({ ...queryLimitsOf(loadConfig({})), maxDepth });

async function costOf(document: DocumentNode, variables: Record<string, unknown> = {}) {
  return new OperationCosts(await getSchema(), Infinity).costOfDocument(document, variables);
}

describe('depth and cost limits refuse an abusive query', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    const customer = await newCustomer(org, { email: 'ann@example.com' });
    await newConversation(org, { customer, body: 'Hello' });
    await newConversation(org, { customer, body: 'Again' });
  });
  afterAll(() => server.stop());

  /** The statements the server sends while `act` runs, but the sign-in check of the caller. */
  async function statementsDuring(act: () => Promise<unknown>): Promise<string[]> {
    const counter = statementCounter(server.dataSource);
    const recorded: string[] = [];
    counter.recorded = recorded;
    const before = counter.count;
    try {
      await act();
    } finally {
      counter.recorded = undefined;
    }
    expect(counter.count - before).toBe(recorded.length);
    // Window sessions are touched on a timer, whatever the requests do.
    return recorded.filter(
      (sql) => !AUTHENTICATION.test(sql) && !sql.startsWith('UPDATE client_session'),
    );
  }

  describe('the query builders (self-check)', () => {
    it.each([4, 5, 6, 7, 8, 12, 13, 20])('builds a query exactly %i fields deep', async (depth) => {
      const schema = await getSchema();
      for (const query of [queryOfDepth(depth), queryOfDepthInFragments(depth)]) {
        const document = parse(query);
        expect(validate(schema, document)).toEqual([]);
        expect(validate(schema, document, depthLimit(depth))).toEqual([]);
        expect(validate(schema, document, depthLimit(depth - 1))).toHaveLength(1);
      }
    });
  });

  describe('over HTTP', () => {
    it('refuses a query one level deeper than maxQueryDepth before any SQL runs', async () => {
      const limit = server.config.maxQueryDepth;
      let error: GraphQLErrorShape | undefined;
      const statements = await statementsDuring(async () => {
        error = await org.admin.api.fails(queryOfDepth(limit + 1));
      });
      expect(error?.extensions).toMatchObject({
        code: 'GRAPHQL_VALIDATION_FAILED',
        limit: 'depth',
      });
      expect(error?.message).toContain(`the limit is ${limit}`);
      expect(statements).toEqual([]);
    });

    it('refuses the same depth hidden in fragments', async () => {
      const limit = server.config.maxQueryDepth;
      const statements = await statementsDuring(async () => {
        const error = await org.admin.api.fails(queryOfDepthInFragments(limit + 1));
        expect(error.extensions).toMatchObject({
          code: 'GRAPHQL_VALIDATION_FAILED',
          limit: 'depth',
        });
      });
      expect(statements).toEqual([]);
    });

    it('accepts a query exactly maxQueryDepth deep (and the counter sees what it runs)', async () => {
      const statements = await statementsDuring(async () => {
        const result = await org.admin.api.request(queryOfDepth(server.config.maxQueryDepth));
        expect(result.errors).toBeUndefined();
        expect(result.data).toMatchObject({ customers: { edges: [expect.anything()] } });
      });
      expect(statements.length).toBeGreaterThan(0);
    });

    it('refuses a query whose cost exceeds maxQueryCost before any SQL runs', async () => {
      expect(await costOf(parse(WIDE))).toBeGreaterThan(server.config.maxQueryCost);
      let error: GraphQLErrorShape | undefined;
      const statements = await statementsDuring(async () => {
        error = await org.admin.api.fails(WIDE);
      });
      expect(error?.extensions).toMatchObject({
        code: 'GRAPHQL_VALIDATION_FAILED',
        limit: 'cost',
        maxCost: server.config.maxQueryCost,
      });
      expect(error?.extensions?.cost).toBeGreaterThan(server.config.maxQueryCost);
      expect(statements).toEqual([]);
    });

    it('counts page sizes given in variables, and in variable defaults', async () => {
      const query = `query Paged($n: Int = 100) {
        customers(first: $n) { edges { node {
          conversations(first: $n) { edges { node { messages(first: $n) { edges { node { id } } } } } }
        } } }
      }`;
      const statements = await statementsDuring(async () => {
        for (const variables of [{ n: 100 }, {}]) {
          const error = await org.admin.api.fails(query, variables);
          expect(error.extensions).toMatchObject({
            code: 'GRAPHQL_VALIDATION_FAILED',
            limit: 'cost',
          });
        }
      });
      expect(statements).toEqual([]);
    });

    it('adds up aliases: accepted up to maxQueryCost, refused one alias over', async () => {
      // Each alias heavy enough that the cost, not the number of aliases, is what refuses.
      const aliases = (n: number) =>
        `query Aliases { ${Array.from(
          { length: n },
          (_, i) =>
            `a${i}: customers(first: 100) { edges { node { id name conversations(first: 10) { totalCount } } } }`,
        ).join(' ')} }`;
      const costOfAliases = (n: number) => costOf(parse(aliases(n)));
      let n = 1;
      while ((await costOfAliases(n + 1)) <= server.config.maxQueryCost) n += 1;
      expect(n + 1).toBeLessThanOrEqual(server.config.maxAliases);

      const accepted = await org.admin.api.request(aliases(n));
      expect(accepted.errors).toBeUndefined();
      const refused = await org.admin.api.fails(aliases(n + 1));
      expect(refused.extensions).toMatchObject({
        code: 'GRAPHQL_VALIDATION_FAILED',
        limit: 'cost',
      });
    });

    it('accepts a normal list query, nested relations included', async () => {
      const result = await org.admin.api.request(`{
        customers(first: 50) {
          totalCount
          edges { node { id name contacts { value } conversations(first: 5) {
            edges { node { id inbox { name } messages(first: 10) { edges { node { body } } } } }
          } } }
        }
      }`);
      expect(result.errors).toBeUndefined();
      expect(result.data).toMatchObject({ customers: { totalCount: 1 } });
    });

    it('answers introspection to a signed-in client, however deep the standard query is', async () => {
      const result = await org.admin.api.request<{ __schema: { types: unknown[] } }, never>(
        getIntrospectionQuery(),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data?.__schema.types.length).toBeGreaterThan(10);
    });

    it('refuses introspection that loops (types → fields → type → fields ...)', async () => {
      let selection = 'name';
      for (let i = 0; i < 6; i++) selection = `fields { type { ${selection} } }`;
      const error = await org.admin.api.fails(`{ __schema { types { ${selection} } } }`);
      expect(error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
  });

  describe('over WebSocket, the same limits', () => {
    let window: Console;

    beforeEach(async () => {
      window = await connect(server.wsUrl, org.admin.token);
    });
    afterEach(() => window.dispose());

    async function firstResult(query: string, variables?: Record<string, unknown>) {
      const operation = new Subscription<unknown>(window.client, query, variables);
      try {
        return await operation.next();
      } finally {
        operation.close();
      }
    }

    it('refuses a query deeper than maxQueryDepth before any SQL runs', async () => {
      const statements = await statementsDuring(async () => {
        const result = await firstResult(queryOfDepth(server.config.maxQueryDepth + 1));
        expect(result.errors?.[0]).toMatchObject({
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' },
        });
      });
      expect(statements).toEqual([]);
    });

    it('refuses a subscription deeper than maxQueryDepth', async () => {
      const limit = server.config.maxQueryDepth;
      const subscription = `subscription DeepEvents {
        conversationEvents(inboxId: "${org.inbox.id}") {
          conversation { customer { ${customerSelection(limit - 2)} } }
        }
      }`;
      const statements = await statementsDuring(async () => {
        const result = await firstResult(subscription);
        expect(result.errors?.[0]).toMatchObject({
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' },
        });
      });
      expect(statements).toEqual([]);
    });

    it('refuses a query whose cost exceeds maxQueryCost before any SQL runs', async () => {
      const statements = await statementsDuring(async () => {
        const result = await firstResult(WIDE);
        expect(result.errors?.[0]).toMatchObject({
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' },
        });
      });
      expect(statements).toEqual([]);
    });

    it('refuses introspection that loops', async () => {
      let selection = 'name';
      for (let i = 0; i < 6; i++) selection = `fields { type { ${selection} } }`;
      const result = await firstResult(`{ __schema { types { ${selection} } } }`);
      expect(result.errors?.[0]).toMatchObject({
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    });

    it('refuses variables that do not coerce as BAD_USER_INPUT naming the field', async () => {
      const result = await firstResult(
        'query ($n: Int!, $f: CustomerFilterInput) { customers(first: $n, filter: $f) { totalCount } }',
        { n: 'ten', f: { query: 1 } },
      );
      expect(result.errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'n' },
      });
      const many = await firstResult(
        'mutation ($input: SetInboxMembersInput!) { setInboxMembers(input: $input) { inbox { id } } }',
        { input: { inboxId: org.inbox.id, staffIds: Array.from({ length: 60 }, () => ({})) } },
      );
      expect(many.errors?.length).toBeGreaterThan(50);
      for (const error of many.errors ?? []) expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('answers a normal query and the standard introspection query', async () => {
      const list = await firstResult('{ customers(first: 10) { totalCount } }');
      expect(list).toEqual({ data: { customers: { totalCount: 1 } } });
      const introspection = await firstResult(getIntrospectionQuery());
      expect(introspection.errors).toBeUndefined();
    });

    it('closes the socket (1009) on a message over maxBodyBytes', async () => {
      const padding = ' '.repeat(server.config.maxBodyBytes);
      const operation = new Subscription<unknown>(
        window.client,
        `{ customers(first: 1) { totalCount } }${padding}`,
      );
      expect((await window.closed).code).toBe(1009);
      operation.close();
    });
  });
});
