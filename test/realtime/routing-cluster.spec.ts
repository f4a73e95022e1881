import { randomInt } from 'node:crypto';
import { Channel, StaffStatus } from '../../src/entities/enums';
import type { Inbox } from '../../src/entities/inbox.entity';
import {
  newAgent,
  newCustomer,
  newInbox,
  newOrg,
  type Member,
  type Org,
} from '../support/factories';
import { watchCapacity } from '../support/routing';
import { startTwoInstances, type TestServer } from '../support/server';

const AGENTS = 10;
const CAPACITY = 3;
const CONVERSATIONS = 300;
const WAVES = 6;

describe('routing under concurrency, on two instances', () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;
  let org: Org;
  let inbox: Inbox;
  let agents: Member[];

  beforeAll(async () => {
    // Windows stay alive for the whole test: availability is about status here.
    ({ a, b, stop } = await startTwoInstances({ lockTtlSeconds: 600 }));
    await watchCapacity(a.dataSource);
    org = await newOrg(a);
    inbox = await newInbox(org, 'Busy inbox', [Channel.CHAT]);
    await a.services.inboxes.update(org.admin.auth, inbox.id, { agentCapacity: CAPACITY });
    agents = [];
    for (let i = 0; i < AGENTS; i++)
      agents.push(await newAgent(org, { name: `Agent ${i}`, inboxes: [inbox] }));
    for (const agent of agents) await a.services.staff.setStatus(agent.auth, StaffStatus.ONLINE);
  }, 120_000);
  afterAll(() => stop());

  async function invariants(): Promise<void> {
    const [over] = await a.dataSource.query(
      `SELECT assignee_id, count(*)::int AS open FROM conversation
        WHERE inbox_id = $1 AND status = 'OPEN' AND assignee_id IS NOT NULL
        GROUP BY assignee_id HAVING count(*) > $2`,
      [inbox.id, CAPACITY],
    );
    expect(over).toBeUndefined();
    const violations = await a.dataSource.query('SELECT * FROM capacity_violation');
    expect(violations).toEqual([]);
    // Routed at most once: one assignment decision per conversation routed by the engine.
    const [twice] = await a.dataSource.query(
      `SELECT conversation_id FROM routing_decision WHERE reason IN ('NEXT_AVAILABLE', 'FROM_QUEUE')
        GROUP BY conversation_id HAVING count(*) > 1`,
    );
    expect(twice).toBeUndefined();
    // FIFO: everything routed from the queue waited less long than what still waits.
    const [fifo] = await a.dataSource.query(
      `SELECT (SELECT max(q.at) FROM routing_decision q JOIN routing_decision r ON r.conversation_id = q.conversation_id
                WHERE q.reason = 'QUEUE' AND r.reason = 'FROM_QUEUE' AND q.inbox_id = $1) AS newest_routed,
              (SELECT min(queued_at) FROM conversation
                WHERE inbox_id = $1 AND status = 'OPEN' AND assignee_id IS NULL AND queued_at IS NOT NULL) AS oldest_waiting`,
      [inbox.id],
    );
    if (fifo.newest_routed && fifo.oldest_waiting) {
      expect(fifo.newest_routed.getTime()).toBeLessThanOrEqual(fifo.oldest_waiting.getTime());
    }
  }

  it('never fills an agent past capacity, routes every conversation exactly once, and drains the queue FIFO', async () => {
    const customers = [];
    for (let i = 0; i < CONVERSATIONS; i++) customers.push(await newCustomer(org));
    const perWave = CONVERSATIONS / WAVES;
    for (let wave = 0; wave < WAVES; wave++) {
      const starting = customers.slice(wave * perWave, (wave + 1) * perWave).map((customer, i) =>
        (i % 2 ? a : b).services.conversations.start(org.admin.auth, {
          customerId: customer.id,
          channel: Channel.CHAT,
          inboxId: inbox.id,
        }),
      );
      // Meanwhile agents close some of what they hold, and step away and back.
      const working = agents.map(async (agent, i) => {
        const server = i % 2 ? a : b;
        const held = (await server.dataSource.query(
          `SELECT id FROM conversation WHERE assignee_id = $1 AND status = 'OPEN' ORDER BY random() LIMIT $2`,
          [agent.staff.id, randomInt(0, CAPACITY + 1)],
        )) as Array<{ id: string }>;
        for (const { id } of held) await server.services.conversations.close(agent.auth, id);
        if (i % 3 === wave % 3) {
          await server.services.staff.setStatus(agent.auth, StaffStatus.AWAY);
          await server.services.staff.setStatus(agent.auth, StaffStatus.ONLINE);
        }
      });
      await Promise.all([...starting, ...working]);
      await invariants();
    }

    // Drain: agents keep closing until nothing waits.
    for (let round = 0; round < 200; round++) {
      const [{ waiting }] = await a.dataSource.query(
        `SELECT count(*)::int AS waiting FROM conversation WHERE inbox_id = $1 AND status = 'OPEN' AND assignee_id IS NULL`,
        [inbox.id],
      );
      if (waiting === 0) break;
      await Promise.all(
        agents.map(async (agent, i) => {
          const server = i % 2 ? a : b;
          const [held] = (await server.dataSource.query(
            `SELECT id FROM conversation WHERE assignee_id = $1 AND status = 'OPEN' LIMIT 1`,
            [agent.staff.id],
          )) as Array<{ id: string }>;
          if (held) await server.services.conversations.close(agent.auth, held.id);
        }),
      );
      await invariants();
    }

    const [{ started, unrouted }] = await a.dataSource.query(
      `SELECT count(*)::int AS started,
              count(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM routing_decision d WHERE d.conversation_id = c.id AND d.assignee_id IS NOT NULL))::int AS unrouted
         FROM conversation c WHERE inbox_id = $1`,
      [inbox.id],
    );
    expect(started).toBe(CONVERSATIONS);
    expect(unrouted).toBe(0);
    await invariants();
  }, 240_000);
});
