import { CloseConversationDocument, StartConversationDocument } from '../generated/graphql';
import { Channel, StaffStatus } from '../../src/entities/enums';
import { startServerProcess, type ServerProcess } from '../support/child-process';
import { GraphQLClient } from '../support/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testRedisUrl } from '../support/env';
import { newAgent, newCustomer, newInbox, newOrg } from '../support/factories';
import { watchCapacity } from '../support/routing';
import { startTestServer, type TestServer } from '../support/server';

const AGENTS = 5;
const CAPACITY = 2;
const CONVERSATIONS = 40;
/** Acknowledged starts before instance A is killed. */
const KILL_AFTER = 16;

describe('an instance killed during routing', () => {
  let database: TestDatabase;
  let seeder: TestServer;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Windows (the agents' sign-in sessions) stay alive for the whole test.
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl(),
      LOCK_TTL_SECONDS: '600',
    };
    [seeder, a, b] = await Promise.all([
      startTestServer({ database, pubsub: 'in-process', config: { lockTtlSeconds: 600 } }),
      startServerProcess(env),
      startServerProcess(env),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.process.kill(), b?.process.kill()]);
    await seeder?.stop();
    await database?.drop();
  });

  it('loses nothing and routes nothing twice: every acknowledged conversation exists, each is routed exactly once, no agent goes past capacity', async () => {
    await watchCapacity(seeder.dataSource);
    const org = await newOrg(seeder);
    const inbox = await newInbox(org, 'Busy inbox', [Channel.CHAT]);
    await seeder.services.inboxes.update(org.admin.auth, inbox.id, { agentCapacity: CAPACITY });
    for (let i = 0; i < AGENTS; i++) {
      const agent = await newAgent(org, { inboxes: [inbox] });
      await seeder.services.staff.setStatus(agent.auth, StaffStatus.ONLINE);
    }
    const customers = await Promise.all(
      Array.from({ length: CONVERSATIONS }, () => newCustomer(org)),
    );
    const clients = {
      a: new GraphQLClient(a.url, org.admin.token),
      b: new GraphQLClient(b.url, org.admin.token),
    };
    let aAlive = true;
    const pick = (i: number) => (aAlive && i % 2 === 0 ? clients.a : clients.b);
    const acknowledged = new Set<string>();

    // Conversations keep arriving on both instances while agents close what they hold (each
    // close drains the queue on the instance it reached); A dies in the middle of it.
    const starting = (async () => {
      for (let i = 0; i < CONVERSATIONS; i++) {
        const response = await pick(i)
          .request(StartConversationDocument, {
            input: { customerId: customers[i]!.id, channel: 'CHAT', inboxId: inbox.id },
          })
          .catch(() => undefined); // A died with it in flight: not acknowledged
        const id = response?.data?.startConversation.conversation.id;
        if (id) acknowledged.add(id);
        if (acknowledged.size === KILL_AFTER && aAlive) {
          aAlive = false;
          a.process.child.kill('SIGKILL');
        }
      }
    })();
    const openCount = async (status: 'assigned' | 'any') =>
      (
        await seeder.dataSource.query(
          `SELECT count(*)::int AS count FROM conversation
            WHERE inbox_id = $1 AND status = 'OPEN' AND ($2 = 'any' OR assignee_id IS NOT NULL)`,
          [inbox.id, status],
        )
      )[0].count as number;
    let done = false;
    void starting.then(() => (done = true));
    const deadline = Date.now() + 45_000;
    let closes = 0;
    while (!done || (await openCount('any')) > 0) {
      if (Date.now() > deadline) throw new Error('conversations still open after 45 s');
      const held = (await seeder.dataSource.query(
        `SELECT id FROM conversation WHERE inbox_id = $1 AND status = 'OPEN' AND assignee_id IS NOT NULL LIMIT 4`,
        [inbox.id],
      )) as Array<{ id: string }>;
      if (held.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      await Promise.all(
        held.map(
          ({ id }) =>
            pick(closes++)
              .request(CloseConversationDocument, { input: { conversationId: id } })
              .catch(() => undefined), // closed or not: the next round sees it
        ),
      );
    }

    expect(aAlive).toBe(false);
    const rows = (await seeder.dataSource.query(
      `SELECT c.id, c.status,
              (SELECT count(*)::int FROM routing_decision d
                WHERE d.conversation_id = c.id AND d.reason IN ('NEXT_AVAILABLE', 'FROM_QUEUE')) AS routed
         FROM conversation c WHERE c.inbox_id = $1`,
      [inbox.id],
    )) as Array<{ id: string; status: string; routed: number }>;
    const stored = new Set(rows.map((row) => row.id));
    for (const id of acknowledged) expect(stored.has(id)).toBe(true);
    expect(rows.filter((row) => row.routed !== 1)).toEqual([]);
    expect(rows.every((row) => row.status === 'CLOSED')).toBe(true);
    expect(await seeder.dataSource.query('SELECT * FROM capacity_violation')).toEqual([]);
  }, 90_000);
});
