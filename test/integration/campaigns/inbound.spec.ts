import { randomUUID } from 'node:crypto';
import type { InboundMessage } from '../../../src/services/campaign/inbound.service';
import { newCampaign, newWhatsAppProvider } from '../../support/campaigns';
import { newOrg, type Org } from '../../support/factories';
import { startTestServer, type TestServer } from '../../support/server';
import type { Campaign } from '../../../src/entities/campaign.entity';
import type { Provider } from '../../../src/entities/provider.entity';

describe('inbound messages (C3)', () => {
  let server: TestServer;
  let org: Org;
  let provider: Provider;
  let campaign: Campaign;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    provider = await newWhatsAppProvider(org);
    campaign = await newCampaign(org, { provider });
  });
  afterAll(() => server.stop());

  let numbers = 0;
  const newNumber = () => `+4420794600${String(10 + numbers++).padStart(2, '0')}`;

  const inbound = (from: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({
    providerId: provider.id,
    providerMessageId: `wamid.${randomUUID()}`,
    from,
    to: provider.accountNumber,
    body: 'Hello 👋',
    providerTimestamp: new Date('2026-12-02T10:00:00Z'),
    contentType: 'text',
    ...extra,
  });

  const messagesOf = (conversationId: string) =>
    server.dataSource.query(
      `SELECT body, direction, delivery_state, provider_id, provider_message_id, provider_timestamp, content_type
         FROM message WHERE conversation_id = $1 ORDER BY position`,
      [conversationId],
    ) as Promise<Array<Record<string, unknown>>>;

  const conversationRow = async (id: string) =>
    (
      (await server.dataSource.query('SELECT * FROM conversation WHERE id = $1', [id])) as Array<
        Record<string, unknown>
      >
    )[0];

  it("C3: an unknown number becomes a customer with that contact (E.164), and its message opens an interaction waiting in the campaign's queue", async () => {
    const number = newNumber();
    const spaced = `${number.slice(0, 3)} ${number.slice(3, 7)} ${number.slice(7)}`;
    const first = inbound(spaced, { profileName: 'Ada Lovelace' });
    const result = await server.services.inbound.receive(first);
    expect(result.duplicate).toBe(false);
    const conversation = await conversationRow(result.conversationId);
    expect(conversation).toMatchObject({
      campaign_id: campaign.id,
      inbox_id: campaign.inboxId,
      channel: 'WHATSAPP',
      direction: 'INCOMING',
      status: 'OPEN',
      assignee_id: null,
      routing_reason: 'QUEUE',
    });
    expect(conversation.waiting_since).toBeInstanceOf(Date);
    const [customer] = await server.dataSource.query(
      `SELECT c.name, k.value FROM customer c JOIN contact k ON k.customer_id = c.id WHERE k.id = $1`,
      [conversation.contact_id],
    );
    expect(customer).toEqual({ name: 'Ada Lovelace', value: number });
    expect(await messagesOf(result.conversationId)).toEqual([
      {
        body: 'Hello 👋',
        direction: 'INCOMING',
        delivery_state: 'RECEIVED',
        provider_id: provider.id,
        provider_message_id: first.providerMessageId,
        provider_timestamp: new Date('2026-12-02T10:00:00Z'),
        content_type: 'text',
      },
    ]);
  });

  it('C3: a message from a number with an open interaction in the campaign joins it', async () => {
    const number = newNumber();
    const a = await server.services.inbound.receive(inbound(number, { body: 'one' }));
    const b = await server.services.inbound.receive(inbound(number, { body: 'two' }));
    expect(b.conversationId).toBe(a.conversationId);
    expect((await messagesOf(a.conversationId)).map((m) => m.body)).toEqual(['one', 'two']);
    // Once it is closed, the next message opens a new interaction.
    await server.dataSource.query(
      `UPDATE conversation SET status = 'CLOSED', closed_at = now() WHERE id = $1`,
      [a.conversationId],
    );
    const c = await server.services.inbound.receive(inbound(number, { body: 'three' }));
    expect(c.conversationId).not.toBe(a.conversationId);
  });

  it('C3: the same provider message five times, then five times at once, is stored once', async () => {
    const number = newNumber();
    const message = inbound(number);
    const sequential = [];
    for (let i = 0; i < 5; i++) sequential.push(await server.services.inbound.receive(message));
    expect(sequential.map((r) => r.duplicate)).toEqual([false, true, true, true, true]);
    expect(new Set(sequential.map((r) => r.messageId)).size).toBe(1);

    const burst = inbound(newNumber());
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => server.services.inbound.receive(burst)),
    );
    expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(concurrent.map((r) => r.messageId)).size).toBe(1);
    const [{ count }] = await server.dataSource.query(
      'SELECT count(*)::int AS count FROM message WHERE provider_id = $1 AND provider_message_id = $2',
      [provider.id, burst.providerMessageId],
    );
    expect(count).toBe(1);
    const [{ conversations }] = await server.dataSource.query(
      `SELECT count(*)::int AS conversations FROM conversation c JOIN contact k ON k.id = c.contact_id
        WHERE k.value = $1 AND k.organization_id = $2`,
      [burst.from, org.id],
    );
    expect(conversations).toBe(1);
  });

  it('C3: two first messages of a new number at once make one customer and one interaction', async () => {
    const number = newNumber();
    const results = await Promise.all([
      server.services.inbound.receive(inbound(number, { body: 'first' })),
      server.services.inbound.receive(inbound(number, { body: 'second' })),
    ]);
    expect(results[0].conversationId).toBe(results[1].conversationId);
    const [{ customers }] = await server.dataSource.query(
      `SELECT count(DISTINCT customer_id)::int AS customers FROM contact WHERE value = $1 AND organization_id = $2`,
      [number, org.id],
    );
    expect(customers).toBe(1);
    expect(await messagesOf(results[0].conversationId)).toHaveLength(2);
  });

  it("C3: a disabled campaign's messages are kept on the customer's contact, not queued, and never lost", async () => {
    const quietProvider = await newWhatsAppProvider(org);
    const quiet = await newCampaign(org, { provider: quietProvider, enabled: false });
    const number = newNumber();
    const message = (body: string) => ({
      ...inbound(number, { body }),
      providerId: quietProvider.id,
    });
    const a = await server.services.inbound.receive(message('are you there?'));
    const b = await server.services.inbound.receive(message('hello?'));
    expect(b.conversationId).toBe(a.conversationId);
    expect(await conversationRow(a.conversationId)).toMatchObject({
      campaign_id: quiet.id,
      status: 'CLOSED',
      waiting_since: null,
      routing_reason: 'CAMPAIGN_DISABLED',
    });
    expect((await messagesOf(a.conversationId)).map((m) => m.body)).toEqual([
      'are you there?',
      'hello?',
    ]);
    // Enabled again: the next message waits in the queue, as a new interaction.
    await server.services.campaigns.update(org.admin.auth, quiet.id, { enabled: true });
    const c = await server.services.inbound.receive(message('now?'));
    expect(c.conversationId).not.toBe(a.conversationId);
    expect(await conversationRow(c.conversationId)).toMatchObject({
      status: 'OPEN',
      routing_reason: 'QUEUE',
    });
  });

  it('C3: a provider unknown, or serving no campaign, is NOT_FOUND and stores nothing', async () => {
    await expect(
      server.services.inbound.receive({ ...inbound(newNumber()), providerId: randomUUID() }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const idle = await newWhatsAppProvider(org);
    const message = { ...inbound(newNumber()), providerId: idle.id };
    await expect(server.services.inbound.receive(message)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const [{ count }] = await server.dataSource.query(
      'SELECT count(*)::int AS count FROM contact WHERE value = $1',
      [message.from],
    );
    expect(count).toBe(0);
  });
});
