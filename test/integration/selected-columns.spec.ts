import { randomUUID } from 'node:crypto';
import { statementCounter } from '../../src/db/data-source';
import { newAgent, newConversation, newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

/**
 * Issue 20: a nested list of conversations reads only the columns its selection reads
 * (src/schema/selected-properties.ts, Loaders.columnsFor): plain fields their own, field
 * resolvers what they declare with `reads`. Anything else reads whole rows, as before. The
 * answers must not change either way.
 */
describe('nested conversations read the columns the query reads (issue 20)', () => {
  let server: TestServer;
  let org: Org;
  let customerId: string;
  let agentName: string;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    const agent = await newAgent(org, { inboxes: [org.inbox] });
    agentName = agent.staff.name;
    const customer = await newCustomer(org, {
      name: `Columns ${randomUUID()}`,
      email: `columns-${randomUUID()}@example.com`,
      phone: '+14155550123',
    });
    customerId = customer.id;
    for (let i = 0; i < 2; i++) {
      const conversation = await newConversation(org, { customer });
      await server.services.conversations.assign(org.admin.auth, conversation.id, agent.staff.id);
    }
  });
  afterAll(() => server.stop());

  /** The answer, and the conversation statement's select list. */
  async function run(selection: string): Promise<{ data: unknown; selected: string }> {
    const counter = statementCounter(server.dataSource);
    counter.recorded = [];
    const result = await org.admin.api.request(
      `query ($id: ID!) { customer(id: $id) { conversations(first: 5) ${selection} } }` +
        (selection.includes('...Who') ? ' fragment Who on Conversation { assignee { name } }' : ''),
      { id: customerId },
    );
    const statements = counter.recorded;
    counter.recorded = undefined;
    expect(result.errors).toBeUndefined();
    const page = statements.find((sql) => sql.includes('tandem_visible_conversations'));
    if (!page) throw new Error(`no conversation page among ${statements.join('\n')}`);
    return {
      data: result.data,
      selected: /SELECT (t\..*?), t\.customer_id AS parent_key/s.exec(page)?.[1] ?? '',
    };
  }

  it('reads the assignee column only for `node { assignee { name } }`', async () => {
    const { data, selected } = await run('{ edges { node { assignee { name } } } }');
    expect(selected.split(', ').sort()).toEqual([
      't.assignee_id',
      't.created_at',
      't.id',
      't.organization_id',
    ]);
    expect(data).toEqual({
      customer: {
        conversations: {
          edges: [
            { node: { assignee: { name: agentName } } },
            { node: { assignee: { name: agentName } } },
          ],
        },
      },
    });
  });

  it('follows fragments and adds plain fields; cursors still come out right', async () => {
    const narrow = await run(
      '{ pageInfo { endCursor } edges { cursor node { status ...Who ... on Conversation { channel } } } }',
    );
    expect(narrow.selected.split(', ').sort()).toEqual([
      't.assignee_id',
      't.channel',
      't.created_at',
      't.id',
      't.organization_id',
      't.status',
    ]);
    // The same answer as with whole rows (a field that declares nothing it reads: helpers).
    const whole = await run(
      '{ pageInfo { endCursor } edges { cursor node { status ...Who ... on Conversation { channel } helpers { id } } } }',
    );
    expect(whole.selected).toBe('t.*');
    const strip = (data: unknown) =>
      JSON.parse(JSON.stringify(data), (key, value) => (key === 'helpers' ? undefined : value));
    expect(strip(whole.data)).toEqual(narrow.data);
  });

  it('reads the contact columns `contacts { value }` reads, and whole rows for a field that declares nothing', async () => {
    const contactStatement = async (selection: string) => {
      const counter = statementCounter(server.dataSource);
      counter.recorded = [];
      const result = await org.admin.api.request<
        { customer: { contacts: unknown[] } },
        { id: string }
      >(`query ($id: ID!) { customer(id: $id) { contacts ${selection} } }`, { id: customerId });
      const statements = counter.recorded;
      counter.recorded = undefined;
      expect(result.errors).toBeUndefined();
      const sql = statements.find((text) => / FROM contact WHERE /.test(text)) ?? '';
      return {
        contacts: result.data?.customer.contacts,
        select: /^SELECT (.*) FROM contact /.exec(sql)?.[1],
      };
    };
    const narrow = await contactStatement('{ value customer { id } }');
    expect(narrow.select).toBe('customer_id, id, organization_id, value');
    const whole = await contactStatement(
      '{ value customer { id } history(first: 1) { totalCount } }',
    );
    expect(whole.select).toBe('*');
    expect(whole.contacts?.map((c) => ({ ...(c as object), history: undefined }))).toEqual(
      narrow.contacts?.map((c) => ({ ...(c as object), history: undefined })),
    );
    expect(narrow.contacts?.length).toBeGreaterThan(0);
  });
});
