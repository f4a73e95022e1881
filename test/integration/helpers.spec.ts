import {
  AddContactDocument,
  AddHelperDocument,
  ConversationHelpersDocument,
  CustomerHelpersDocument,
  CustomersWithHelpersDocument,
  EndHelperDocument,
  MyCustomersDocument,
  PostCustomerMessageDocument,
  StaffHelpingDocument,
} from '../generated/graphql';
import { statementCounter } from '../../src/db/data-source';
import { Channel } from '../../src/entities/enums';
import {
  eventually,
  newAgent,
  newConversation,
  newCustomer,
  newDispatcher,
  newOrg,
  newSupervisor,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

describe('helpers: staff assigned to customers', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  const countAssignments = async (customerId: string) =>
    (
      await server.dataSource.query(
        'SELECT count(*)::int AS n FROM helper_assignment WHERE customer_id = $1',
        [customerId],
      )
    )[0].n as number;

  it("H1: an assignment covers all the customer's contacts: a conversation with any of them shows the helpers", async () => {
    const agent = await newAgent(org, { name: 'Hoppy' });
    const customer = await newCustomer(org, { phone: '+14155550140' });
    await org.admin.api.ok(AddContactDocument, {
      input: { customerId: customer.id, kind: 'EMAIL', value: 'h1@example.com' },
    });
    await org.admin.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    const [byPhone, byEmail] = await Promise.all(
      (['PHONE', 'EMAIL'] as const).map(async (kind) => {
        const [contact] = await server.dataSource.query(
          'SELECT id FROM contact WHERE customer_id = $1 AND kind = $2',
          [customer.id, kind],
        );
        return server.services.conversations.start(org.admin.auth, {
          customerId: customer.id,
          contactId: contact.id,
          channel: kind === 'PHONE' ? Channel.SMS : Channel.EMAIL,
        });
      }),
    );
    for (const conversation of [byPhone!, byEmail!]) {
      const { conversation: read } = await org.admin.api.ok(ConversationHelpersDocument, {
        id: conversation.id,
      });
      expect(read.helpers.map((h) => h.staff.id)).toEqual([agent.staff.id]);
    }
  });

  it('H2: an AGENT adds and ends only their own assignment; FORBIDDEN for anyone else, and nothing is written', async () => {
    const [agent, colleague] = await Promise.all([newAgent(org), newAgent(org)]);
    const customer = await newCustomer(org);
    const add = await agent.api.fails(AddHelperDocument, {
      input: { customerId: customer.id, staffId: colleague.staff.id },
    });
    expect(add.extensions?.code).toBe('FORBIDDEN');
    expect(await countAssignments(customer.id)).toBe(0);
    await colleague.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: colleague.staff.id },
    });
    const end = await agent.api.fails(EndHelperDocument, {
      input: { customerId: customer.id, staffId: colleague.staff.id },
    });
    expect(end.extensions?.code).toBe('FORBIDDEN');
    const { customer: read } = await org.admin.api.ok(CustomerHelpersDocument, { id: customer.id });
    expect(read.helperCount).toBe(1);
    await agent.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    await agent.api.ok(EndHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
  });

  it.each([
    ['DISPATCHER', newDispatcher],
    ['SUPERVISOR', newSupervisor],
  ] as const)('H2: a %s adds and ends anyone’s assignment', async (_role, make) => {
    const [boss, agent] = await Promise.all([make(org), newAgent(org)]);
    const customer = await newCustomer(org);
    const { addHelper } = await boss.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    expect(addHelper.created).toBe(true);
    const { endHelper } = await boss.api.ok(EndHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    expect(endHelper.assignment.endReason).toBe('ENDED');
  });

  it('H3: an assignment lasts until ended by hand, or until its `until`, when the server ends it by itself', async () => {
    const agent = await newAgent(org);
    const [lasting, brief] = await Promise.all([newCustomer(org), newCustomer(org)]);
    await org.admin.api.ok(AddHelperDocument, {
      input: { customerId: lasting.id, staffId: agent.staff.id },
    });
    const until = new Date(Date.now() + 1500).toISOString();
    const { addHelper } = await org.admin.api.ok(AddHelperDocument, {
      input: { customerId: brief.id, staffId: agent.staff.id, until },
    });
    expect(addHelper.assignment.until).toBe(until);
    await eventually(
      async () =>
        (
          await server.dataSource.query('SELECT ended_at FROM helper_assignment WHERE id = $1', [
            addHelper.assignment.id,
          ])
        )[0].ended_at !== null,
      6000,
      'the assignment to expire',
    );
    const { customer: briefRead } = await org.admin.api.ok(CustomerHelpersDocument, {
      id: brief.id,
    });
    expect(briefRead.helperCount).toBe(0);
    expect(briefRead.helperHistory.edges[0]?.node).toMatchObject({
      endReason: 'EXPIRED',
      endedAt: until,
      endedBy: { kind: 'SYSTEM' },
    });
    const { customer: lastingRead } = await org.admin.api.ok(CustomerHelpersDocument, {
      id: lasting.id,
    });
    expect(lastingRead.helperCount).toBe(1);
  });

  it('H3: once `until` has passed, helperHistory agrees with helperCount before the expiry job ends it', async () => {
    const agent = await newAgent(org);
    const customer = await newCustomer(org);
    const until = new Date(Date.now() + 600).toISOString();
    const { addHelper } = await org.admin.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id, until },
    });
    // Hold the row: the expiry job (SKIP LOCKED) cannot end it while this transaction is open.
    const runner = server.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query('SELECT 1 FROM helper_assignment WHERE id = $1 FOR UPDATE', [
        addHelper.assignment.id,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 900));
      const { customer: read } = await org.admin.api.ok(CustomerHelpersDocument, {
        id: customer.id,
      });
      const [{ ended_at }] = await server.dataSource.query(
        'SELECT ended_at FROM helper_assignment WHERE id = $1',
        [addHelper.assignment.id],
      );
      expect(ended_at).toBeNull(); // the job has not written it
      expect(read.helperCount).toBe(0);
      expect(read.helpers).toEqual([]);
      expect(read.helperHistory.edges[0]?.node).toMatchObject({
        id: addHelper.assignment.id,
        endedAt: until,
        endReason: 'EXPIRED',
        endedBy: { kind: 'SYSTEM' },
      });
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('H3: refuses an `until` in the past', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    const error = await org.admin.api.fails(AddHelperDocument, {
      input: {
        customerId: customer.id,
        staffId: agent.staff.id,
        until: new Date(Date.now() - 1000).toISOString(),
      },
    });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'until' });
    expect(await countAssignments(customer.id)).toBe(0);
  });

  it('H4: adding someone who already helps changes nothing and is not an error; ending none is NOT_FOUND', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    const first = await agent.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    const again = await agent.api.ok(AddHelperDocument, {
      input: {
        customerId: customer.id,
        staffId: agent.staff.id,
        until: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(first.addHelper.created).toBe(true);
    expect(again.addHelper).toMatchObject({
      created: false,
      assignment: { id: first.addHelper.assignment.id, until: null },
    });
    expect(await countAssignments(customer.id)).toBe(1);
    await agent.api.ok(EndHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    const missing = await agent.api.fails(EndHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    expect(missing.extensions?.code).toBe('NOT_FOUND');
  });

  it('H5: helperTag is NONE, ME or OTHERS depending on who looks, on customers and conversations', async () => {
    const [helper, other] = await Promise.all([newAgent(org), newAgent(org)]);
    const customer = await newCustomer(org);
    const conversation = await newConversation(org, { customer });
    const tags = async () => ({
      helper: (await helper.api.ok(CustomerHelpersDocument, { id: customer.id })).customer
        .helperTag,
      other: (await other.api.ok(CustomerHelpersDocument, { id: customer.id })).customer.helperTag,
      onConversation: (await helper.api.ok(ConversationHelpersDocument, { id: conversation.id }))
        .conversation.helperTag,
    });
    expect(await tags()).toEqual({ helper: 'NONE', other: 'NONE', onConversation: 'NONE' });
    await helper.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: helper.staff.id },
    });
    expect(await tags()).toEqual({ helper: 'ME', other: 'OTHERS', onConversation: 'ME' });
  });

  it('H6: the dashboard lists the customers I help, most recent activity first', async () => {
    const agent = await newAgent(org);
    const customers = [];
    for (let i = 0; i < 3; i++) {
      const customer = await newCustomer(org, { name: `Dash ${i}` });
      await agent.api.ok(AddHelperDocument, {
        input: { customerId: customer.id, staffId: agent.staff.id },
      });
      customers.push(customer);
    }
    const conversation = await newConversation(org, { customer: customers[0] });
    await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: conversation.id, body: 'news' },
    });
    const { myCustomers } = await agent.api.ok(MyCustomersDocument, { first: 10 });
    expect(myCustomers.totalCount).toBe(3);
    expect(myCustomers.edges.map((e) => e.node.name)).toEqual(['Dash 0', 'Dash 2', 'Dash 1']);
    expect(myCustomers.edges[0]?.node.lastConversation?.id).toBe(conversation.id);
    const page = await agent.api.ok(MyCustomersDocument, { first: 2 });
    const rest = await agent.api.ok(MyCustomersDocument, {
      first: 2,
      after: page.myCustomers.pageInfo.endCursor,
    });
    expect([...page.myCustomers.edges, ...rest.myCustomers.edges].map((e) => e.node.name)).toEqual([
      'Dash 0',
      'Dash 2',
      'Dash 1',
    ]);
  });

  it("H7: customer lists show each customer's helper count; a staff member's view lists whom they help", async () => {
    const lonely = await newOrg(server);
    const [a, b] = await Promise.all([newAgent(lonely), newAgent(lonely)]);
    const customer = await newCustomer(lonely, { name: 'Counted' });
    await newCustomer(lonely, { name: 'Unhelped' });
    for (const agent of [a, b]) {
      await lonely.admin.api.ok(AddHelperDocument, {
        input: { customerId: customer.id, staffId: agent.staff.id },
      });
    }
    const { customers } = await lonely.admin.api.ok(CustomersWithHelpersDocument, { first: 10 });
    expect(customers.edges.map((e) => e.node.helperCount)).toEqual([2, 0]);
    const { staff } = await lonely.admin.api.ok(StaffHelpingDocument, { id: a.staff.id });
    expect(staff.helping.edges.map((e) => e.node.id)).toEqual([customer.id]);
  });

  it('H8: ended assignments are kept as history: who, assigned by whom, from when, until when, ended by whom', async () => {
    const [agent, dispatcher] = await Promise.all([
      newAgent(org, { name: 'Ada' }),
      newDispatcher(org, { name: 'Dee' }),
    ]);
    const customer = await newCustomer(org);
    await dispatcher.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    await agent.api.ok(EndHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    await agent.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    const { customer: read } = await org.admin.api.ok(CustomerHelpersDocument, { id: customer.id });
    expect(read.helperHistory.totalCount).toBe(2);
    const [current, past] = read.helperHistory.edges.map((e) => e.node);
    expect(current).toMatchObject({
      endedAt: null,
      assignedBy: { name: 'Ada' },
      staff: { name: 'Ada' },
    });
    expect(past).toMatchObject({
      staff: { name: 'Ada' },
      assignedBy: { kind: 'STAFF', name: 'Dee' },
      endReason: 'ENDED',
      endedBy: { kind: 'STAFF', name: 'Ada' },
      until: null,
    });
    expect(Date.parse(past!.endedAt!)).toBeGreaterThanOrEqual(Date.parse(past!.assignedAt));
  });

  it('a deactivated staff member stops helping (the assignment ends, and stays in the history)', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    await agent.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    await server.services.staff.deactivate(org.admin.auth, agent.staff.id);
    const { customer: read } = await org.admin.api.ok(CustomerHelpersDocument, { id: customer.id });
    expect(read.helperCount).toBe(0);
    expect(read.helperHistory.edges[0]?.node).toMatchObject({ endReason: 'DEACTIVATED' });
  });

  it('a helper or customer of another organization is NOT_FOUND, and nothing is written', async () => {
    const other = await newOrg(server);
    const [foreignAgent, foreignCustomer] = await Promise.all([
      newAgent(other),
      newCustomer(other),
    ]);
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    const wrongStaff = await org.admin.api.fails(AddHelperDocument, {
      input: { customerId: customer.id, staffId: foreignAgent.staff.id },
    });
    const wrongCustomer = await org.admin.api.fails(AddHelperDocument, {
      input: { customerId: foreignCustomer.id, staffId: agent.staff.id },
    });
    expect([wrongStaff.extensions?.code, wrongCustomer.extensions?.code]).toEqual([
      'NOT_FOUND',
      'NOT_FOUND',
    ]);
    expect(await countAssignments(customer.id)).toBe(0);
    expect(await countAssignments(foreignCustomer.id)).toBe(0);
  });

  it('costs the same SQL statements for 5 customers as for 50 with helperCount, helperTag and helpers', async () => {
    const many = await newOrg(server);
    const agents = await Promise.all([newAgent(many), newAgent(many)]);
    for (let i = 0; i < 50; i++) {
      const customer = await newCustomer(many, { name: `C${String(i).padStart(2, '0')}` });
      await server.services.helpers.add(many.admin.auth, customer.id, agents[i % 2]!.staff.id);
    }
    const counter = statementCounter(server.dataSource);
    const count = async (first: number) => {
      const before = counter.count;
      const { customers } = await many.admin.api.ok(CustomersWithHelpersDocument, { first });
      expect(customers.edges).toHaveLength(first);
      expect(customers.edges.every((e) => e.node.helpers[0]?.staff.name)).toBe(true);
      return counter.count - before;
    };
    const five = await count(5);
    expect(await count(50)).toBe(five);
    expect(five).toBeLessThanOrEqual(4); // authentication, the page, helpers, their staff rows
  }, 60_000);
});
