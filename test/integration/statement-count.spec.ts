import { CustomersWithRelationsDocument } from '../generated/graphql';
import { statementCounter } from '../../src/db/data-source';
import { Channel } from '../../src/entities/enums';
import { newAgent, newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

/** Customers with two contacts each and three conversations assigned to agents. */
async function seedCustomers(org: Org, count: number): Promise<void> {
  const agents = await Promise.all([newAgent(org), newAgent(org), newAgent(org)]);
  for (let i = 0; i < count; i++) {
    const customer = await newCustomer(org, {
      name: `Customer ${String(i).padStart(3, '0')}`,
      email: `c${i}-${org.id.slice(0, 8)}@example.com`,
      phone: `+1415555${String(1000 + i).padStart(4, '0')}`,
    });
    for (let c = 0; c < 3; c++) {
      const conversation = await org.server.services.conversations.start(org.admin.auth, {
        customerId: customer.id,
        channel: Channel.CHAT,
      });
      const agent = agents[(i + c) % agents.length]!;
      await org.server.services.conversations.assign(
        org.admin.auth,
        conversation.id,
        agent.staff.id,
      );
    }
  }
}

describe('no N+1: per-request loaders', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    await seedCustomers(org, 50);
  }, 120_000);
  afterAll(() => server.stop());

  async function statementsFor(
    first: number,
  ): Promise<{ count: number; statements: string[]; rows: number }> {
    const counter = statementCounter(server.dataSource);
    counter.recorded = [];
    const before = counter.count;
    const { customers } = await org.admin.api.ok(CustomersWithRelationsDocument, { first });
    const result = {
      count: counter.count - before,
      statements: counter.recorded,
      rows: customers.edges.length,
    };
    counter.recorded = undefined;
    return result;
  }

  it('costs the same number of SQL statements for 5 customers as for 50, with contacts, conversations and assignees', async () => {
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);
    expect(five.rows).toBe(5);
    expect(fifty.rows).toBe(50);
    expect(fifty.count).toBe(five.count);
    // authentication, the page, contacts, conversations, assignees
    expect(fifty.count).toBeLessThanOrEqual(5);
  });
});

describe('hot writes touch their row once', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('closing a conversation reads it once (locked) and writes it once (its update time read back), then logs its events, commits and drains the queue', async () => {
    const org = await newOrg(server);
    const agent = await newAgent(org);
    const customer = await newCustomer(org);
    const conversation = await server.services.conversations.start(org.admin.auth, {
      customerId: customer.id,
      channel: Channel.CHAT,
    });
    await server.services.conversations.assign(org.admin.auth, conversation.id, agent.staff.id);

    const counter = statementCounter(server.dataSource);
    counter.recorded = [];
    const closed = await server.services.conversations.close(agent.auth, conversation.id);
    const statements = counter.recorded;
    counter.recorded = undefined;

    expect(closed.status).toBe('CLOSED');
    const [row] = await server.dataSource.query(
      'SELECT status, updated_at FROM conversation WHERE id = $1',
      [conversation.id],
    );
    expect(row).toEqual({ status: 'CLOSED', updated_at: closed.updatedAt });
    const shape = (sql: string) =>
      sql.replace(/"Conversation"\.[\s\S]*FROM "conversation"/, 'the conversation').slice(0, 40);
    expect(statements.map(shape)).toEqual([
      'START TRANSACTION',
      expect.stringMatching(/^SELECT the conversation/), // read once, FOR UPDATE
      expect.stringMatching(/^UPDATE "conversation" SET "status" = \$2/), // written once
      expect.stringMatching(/^SELECT tandem_ticket_moved\(/), // L6
      expect.stringMatching(/^SELECT tandem_append_events\(/), // sent with the COMMIT
      'COMMIT',
      expect.stringMatching(/^SELECT tandem_route_queue\(/), // the capacity it freed (R9)
    ]);
  });
});
