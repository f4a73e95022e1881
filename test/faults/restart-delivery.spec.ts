import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { CampaignReplyDocument } from '../generated/graphql';
import { newCampaign, newWhatsAppProvider } from '../support/campaigns';
import { startServerProcess, type ServerProcess } from '../support/child-process';
import { GraphQLClient } from '../support/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, newAgent, newOrg, type Org } from '../support/factories';
import { newCampaignInteraction } from '../support/providers/interactions';
import { providerOnStub } from '../support/providers/setup';
import { WhatsAppCloudStub } from '../support/providers/whatsapp-cloud-stub';
import { startTestServer } from '../support/server';
import { settle } from '../support/ws';

/**
 * A provider API that takes a request and never answers: the send in flight on it keeps the
 * killed instance's only job worker busy, so the jobs added after it are still waiting when the
 * instance dies (what a crash leaves: committed rows whose jobs no worker has run).
 */
class BlackHole {
  readonly requests: string[] = [];
  private readonly server = http.createServer((req) => {
    req.resume();
    this.requests.push(req.url ?? '');
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v21.0`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const REPLIES = 6;
const INBOUND = 4;

describe('a server process killed with pending outbox jobs and unprocessed webhooks (issue 16)', () => {
  let database: TestDatabase;
  let pool: Pool;
  const stub = new WhatsAppCloudStub();
  const blackHole = new BlackHole();
  let killed: ServerProcess | undefined;
  let restarted: ServerProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new Pool({ connectionString: database.url, max: 2 });
    await stub.start();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([killed?.process.kill(), restarted?.process.kill()]);
    await pool?.end();
    await Promise.all([stub.stop(), blackHole.stop()]);
    await database?.drop();
  });

  it('C6, C3: a new process sends every pending message exactly once and processes every stored webhook once', async () => {
    // The organization, built by a seeding instance that stops before any job exists.
    const seeder = await startTestServer({ database, pubsub: 'in-process' });
    let org: Org;
    let conversations: Array<{ id: string; phone: string }>;
    let slowConversationId: string;
    let providerId: string;
    try {
      org = await newOrg(seeder);
      const agent = await newAgent(org);
      const provider = await providerOnStub(org, stub);
      providerId = provider.id;
      const campaign = await newCampaign(org, { provider, members: [agent] });
      const slowProvider = await newWhatsAppProvider(org, { apiBaseUrl: await blackHole.start() });
      const slowCampaign = await newCampaign(org, { provider: slowProvider, members: [agent] });
      conversations = [];
      for (const phone of ['+15551250001', '+15551250002', '+15551250003']) {
        conversations.push({
          id: (await newCampaignInteraction(org, campaign, { phone })).id,
          phone,
        });
      }
      slowConversationId = (
        await newCampaignInteraction(org, slowCampaign, { phone: '+15551250009' })
      ).id;
    } finally {
      await seeder.stop();
    }

    // Instance A runs one job at a time; its worker is kept busy by a send that never returns.
    killed = await startServerProcess({ DATABASE_URL: database.url, JOB_CONCURRENCY: '1' });
    const onA = new GraphQLClient(killed.url, org.admin.token);
    await onA.ok(CampaignReplyDocument, {
      input: { conversationId: slowConversationId, body: 'stuck in flight' },
    });
    await eventually(() => blackHole.requests.length === 1, 10_000, 'the send in flight');

    // Replies written through A: stored QUEUED with their delivery jobs, in order per conversation.
    const replies: Array<{ id: string; phone: string; body: string }> = [];
    for (let i = 0; i < REPLIES; i++) {
      const { id, phone } = conversations[i % conversations.length];
      const body = `reply ${i + 1}`;
      const { sendMessage } = await onA.ok(CampaignReplyDocument, {
        input: { conversationId: id, body },
      });
      replies.push({ id: sendMessage.message.id, phone, body });
    }
    // Webhooks answered 200 by A: stored as received, their jobs not run. One is delivered twice.
    const url = killed.url.replace(/\/graphql$/, `/webhooks/providers/${providerId}`);
    const inbound = Array.from({ length: INBOUND }, (_, i) => ({
      from: `+1555126000${i}`,
      body: `hello ${i}`,
      id: `wamid.restart-${i}`,
    }));
    for (const [i, message] of inbound.entries()) {
      const answers = await stub.deliver(url, stub.inboundBody([message]), {
        times: i === 0 ? 2 : 1,
      });
      expect(answers.map((a) => a.status)).toEqual(i === 0 ? [200, 200] : [200]);
    }
    const before = await pool.query<{ webhooks: number; queued: number }>(
      `SELECT (SELECT count(*) FROM provider_webhook WHERE processed_at IS NULL)::int AS webhooks,
              (SELECT count(*) FROM message WHERE delivery_state = 'QUEUED')::int AS queued`,
    );
    expect(before.rows[0]).toEqual({ webhooks: INBOUND + 1, queued: REPLIES + 1 });
    expect(stub.sends()).toEqual([]);

    // A dies without a goodbye.
    killed.process.child.kill('SIGKILL');
    await killed.process.exited;

    // A new process takes over what A left.
    restarted = await startServerProcess({
      DATABASE_URL: database.url,
      JOB_POLL_INTERVAL_MS: '100',
    });
    await eventually(
      async () => {
        const { rows } = await pool.query<{ sent: number; processed: number }>(
          `SELECT (SELECT count(*) FROM message WHERE id = ANY($1) AND delivery_state = 'SENT')::int AS sent,
                  (SELECT count(*) FROM provider_webhook WHERE processed_at IS NOT NULL)::int AS processed`,
          [replies.map((r) => r.id)],
        );
        return rows[0].sent === REPLIES && rows[0].processed === INBOUND + 1;
      },
      20_000,
      'every reply sent and every webhook processed',
    );
    await settle(1500); // anything sent twice would be by now

    // Each reply reached the provider once, in order per conversation, under the id it recorded.
    const sends = stub.sends();
    expect(sends).toHaveLength(REPLIES);
    for (const conversation of conversations) {
      expect(
        sends.filter((s) => s.to === conversation.phone.replace('+', '')).map((s) => s.text?.body),
      ).toEqual(replies.filter((r) => r.phone === conversation.phone).map((r) => r.body));
    }
    const stored = await pool.query<{ provider_message_id: string }>(
      'SELECT provider_message_id FROM message WHERE id = ANY($1)',
      [replies.map((r) => r.id)],
    );
    expect(stored.rows.map((r) => r.provider_message_id).sort()).toEqual([...stub.sentIds].sort());

    // Each inbound message stored once (the one delivered twice too), each waiting in the queue.
    const received = await pool.query<{ provider_message_id: string; waiting: boolean }>(
      `SELECT m.provider_message_id, c.waiting_since IS NOT NULL AS waiting
         FROM message m JOIN conversation c ON c.id = m.conversation_id
        WHERE m.provider_message_id LIKE 'wamid.restart-%' ORDER BY 1`,
    );
    expect(received.rows).toEqual(
      inbound.map((m) => ({ provider_message_id: m.id, waiting: true })),
    );
  }, 90_000);
});
