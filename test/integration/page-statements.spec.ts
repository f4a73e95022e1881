import { Brackets, SelectQueryBuilder } from 'typeorm';
import { builderShape } from '../../src/db/page-statements';
import { statementCounter } from '../../src/db/data-source';
import { Customer } from '../../src/entities/customer.entity';
import { HelperAssignment } from '../../src/entities/helper-assignment.entity';
import { newAgent, newConversation, newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

type Edges = { edges: Array<{ node: { id: string; name: string } }> };
type Paged = Edges & { pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/**
 * Issue 20: a page's statement is written by TypeORM once per shape (src/db/page-statements.ts,
 * `builderShape`) and run with each request's values: the organization, the filter, the cursor,
 * the page size. Whatever is remembered, every request answers its own caller with its own
 * values, pages by cursor as before, and a builder the shape does not account for is written
 * per request.
 */
describe('page statements written once per shape (issue 20)', () => {
  let server: TestServer;
  let org: Org;
  let other: Org;
  const NAMES = ['Shape Alpha', 'Shape Bravo', 'Shape Charlie', 'Shape Delta', 'Shape Echo'];

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    other = await newOrg(server);
    for (const name of NAMES) {
      const customer = await newCustomer(org, {
        name,
        email: `${name.replace(' ', '.')}-${org.id}@example.com`,
      });
      await newConversation(org, { customer });
    }
    await newCustomer(other, { name: 'Shape Foxtrot' });
  }, 120_000);
  afterAll(() => server.stop());

  const LIST = `query ($first: Int!, $after: String, $q: String) {
    customers(first: $first, after: $after, filter: { query: $q }) {
      pageInfo { hasNextPage endCursor }
      edges { node { id name contacts { value } conversations(first: 1) { edges { node { id } } } } }
    }
  }`;

  async function list(client: Org['admin'], variables: Record<string, unknown>): Promise<Paged> {
    const { data, errors } = await client.api.request<
      { customers: Paged },
      Record<string, unknown>
    >(LIST, variables);
    expect(errors).toBeUndefined();
    return (data as { customers: Paged }).customers;
  }

  it('pages through a list by cursor with the remembered statement, the same as the first time', async () => {
    const walk = async () => {
      const names: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const page: Paged = await list(org.admin, { first: 2, after, q: 'Shape' });
        names.push(...page.edges.map((edge) => edge.node.name));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      return names;
    };
    expect(await walk()).toEqual(NAMES);
    expect(await walk()).toEqual(NAMES);
  });

  it("answers each request with its own values: another filter, another page size, another organization's rows", async () => {
    const bravo = await list(org.admin, { first: 5, q: 'bravo' });
    expect(bravo.edges.map((edge) => edge.node.name)).toEqual(['Shape Bravo']);
    const echo = await list(org.admin, { first: 5, q: 'echo' });
    expect(echo.edges.map((edge) => edge.node.name)).toEqual(['Shape Echo']);
    const three = await list(org.admin, { first: 3, q: 'shape' });
    expect(three.edges).toHaveLength(3);
    expect(three.pageInfo.hasNextPage).toBe(true);
    // The same shape for another tenant: its own customer only.
    const theirs = await list(other.admin, { first: 5, q: 'shape' });
    expect(theirs.edges.map((edge) => edge.node.name)).toEqual(['Shape Foxtrot']);
    // And an agent's, whose conversations are filtered by visibility inside the statement.
    const agent = await newAgent(org, { inboxes: [] });
    const seen = await list(agent, { first: 5, q: 'shape' });
    expect(seen.edges.map((edge) => edge.node.name)).toEqual(NAMES);
    const { data } = await agent.api.request<{ customers: Edges }, Record<string, unknown>>(
      `{ customers(first: 5, filter: { query: "shape" }) { edges { node { id name } } } }`,
      {},
    );
    expect(data?.customers.edges).toHaveLength(5);
  });

  it('does not write the statement again for a shape it has seen', async () => {
    await list(org.admin, { first: 4, q: 'alpha' });
    const getQuery = jest.spyOn(SelectQueryBuilder.prototype, 'getQuery');
    try {
      const page = await list(org.admin, { first: 4, q: 'charlie' });
      expect(page.edges.map((edge) => edge.node.name)).toEqual(['Shape Charlie']);
      expect(getQuery).not.toHaveBeenCalled();
    } finally {
      getQuery.mockRestore();
    }
  });

  it('joins the assignees of a page of conversations once, and reads no id the query does not read', async () => {
    const counter = statementCounter(server.dataSource);
    counter.recorded = [];
    const { errors } = await org.admin.api.request(
      `{ customers(first: 5) { edges { node { contacts { value }
          conversations(first: 3) { edges { node { assignee { name } } } } } } } }`,
      {},
    );
    const statements = counter.recorded;
    counter.recorded = undefined;
    expect(errors).toBeUndefined();
    const page = statements.find((sql) => sql.includes('json_agg')) as string;
    expect(page).toMatch(/LEFT JOIN staff e\d+ ON/);
    expect(page).not.toMatch(/\(SELECT json_build_array/);
    // contacts { value }: the value alone; an assignee { name }: the name alone.
    expect(page).toMatch(/json_build_array\(e\d+\.value\)/);
    expect(page).toMatch(/json_build_array\(e\d+\.name\)/);
  });

  it('keys only the builders whose text it can tell from their shape', () => {
    const customers = () =>
      server.dataSource
        .getRepository(Customer)
        .createQueryBuilder('customer')
        .where('customer.organization_id = :org', { org: org.id });
    const plain = builderShape(customers());
    expect(plain).toEqual(expect.any(String));
    // Values are parameters, not part of the shape; conditions are.
    expect(builderShape(customers().setParameter('org', other.id))).toBe(plain);
    expect(
      builderShape(customers().andWhere('customer.name ILIKE :text', { text: '%a%' })),
    ).not.toBe(plain);
    expect(
      builderShape(customers().innerJoin(HelperAssignment, 'a', 'a.customer_id = customer.id')),
    ).toEqual(expect.any(String));
    // What it does not account for: written per request.
    for (const refused of [
      customers().orderBy('customer.name'),
      customers().limit(3),
      customers().andWhere(new Brackets((where) => where.where('customer.name = :n', { n: 'x' }))),
      customers().andWhere('customer.id IN (:...ids)', { ids: [org.id] }),
      customers().leftJoinAndSelect(HelperAssignment, 'a', 'a.customer_id = customer.id'),
      customers().addSelect('customer.name', 'n'),
      customers().setLock('pessimistic_read'),
    ])
      expect(builderShape(refused)).toBeNull();
  });
});
