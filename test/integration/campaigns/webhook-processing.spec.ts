import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '../../../src/context/auth';
import { statementCounter } from '../../../src/db/data-source';
import type { Campaign } from '../../../src/entities/campaign.entity';
import { Conversation } from '../../../src/entities/conversation.entity';
import { Message } from '../../../src/entities/message.entity';
import type { Provider } from '../../../src/entities/provider.entity';
import { snapshotOf } from '../../../src/subscriptions/snapshot';
import { Streams } from '../../../src/subscriptions/topics';
import { eventually, newOrg, newStaff, type Org } from '../../support/factories';
import { campaignOnStub, webhookUrl } from '../../support/providers/setup';
import { WhatsAppCloudStub } from '../../support/providers/whatsapp-cloud-stub';
import { startTestServer, type TestServer } from '../../support/server';

/**
 * A webhook's processing (C3): the job reads the stored delivery, then stores all of its customer
 * messages, their interactions and events, and marks it processed, in one statement
 * (`tandem_inbound_receive`).
 */
describe('webhook processing: one statement per delivery (C3)', () => {
  let server: TestServer;
  let org: Org;
  const meta = new WhatsAppCloudStub();
  let provider: Provider;
  let campaign: Campaign;

  beforeAll(async () => {
    server = await startTestServer({ config: { jobPollIntervalMs: 100 } });
    org = await newOrg(server);
    await meta.start();
    ({ provider, campaign } = await campaignOnStub(org, meta));
  });
  afterAll(async () => {
    await server.stop();
    await meta.stop();
  });

  let numbers = 0;
  const newNumber = () => `+4420794611${String(10 + numbers++).padStart(2, '0')}`;

  /** A delivery stored as the webhook route stores it, but with no job: the test runs it. */
  /** A customer's text message to the campaign's number, sent at `sentAt` (its window a day on). */
  const textFrom = (from: string, body: string, sentAt = new Date()) => ({
    providerId: provider.id,
    providerMessageId: `wamid.${randomUUID()}`,
    from,
    to: provider.accountNumber,
    body,
    providerTimestamp: sentAt,
    contentType: 'text',
    replyWindowClosesAt: new Date(sentAt.getTime() + 86_400_000),
  });

  const storedDelivery = async (body: string) => {
    const [{ id }] = (await server.dataSource.query(
      `INSERT INTO provider_webhook (organization_id, provider_id, raw_body, headers, public_url)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [org.id, provider.id, Buffer.from(body), { 'x-hub-signature-256': meta.sign(body) }, ''],
    )) as Array<{ id: string }>;
    return id;
  };

  const processedAt = async (webhookId: string) =>
    (
      (await server.dataSource.query(
        'SELECT processed_at, attempts FROM provider_webhook WHERE id = $1',
        [webhookId],
      )) as Array<{ processed_at: Date | null; attempts: number }>
    )[0];

  const messagesWith = (providerMessageId: string) =>
    server.dataSource.query(
      'SELECT id, conversation_id FROM message WHERE provider_id = $1 AND provider_message_id = $2',
      [provider.id, providerMessageId],
    ) as Promise<Array<{ id: string; conversation_id: string }>>;

  it('C3 a delivery of a new number costs its job two statements: the stored delivery read, then everything else, the delivery marked processed with it', async () => {
    const wamid = `wamid.one-${randomUUID()}`;
    const webhookId = await storedDelivery(
      meta.inboundBody([{ from: newNumber(), body: 'one statement', id: wamid }]),
    );
    const counter = statementCounter(server.dataSource);
    counter.recorded = [];
    await server.services.providerWebhooks.process(webhookId);
    const statements: string[] = counter.recorded ?? [];
    counter.recorded = undefined;
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/FROM provider_webhook w/);
    expect(statements[1]).toMatch(/tandem_inbound_receive/);
    expect(await messagesWith(wamid)).toHaveLength(1);
    expect(await processedAt(webhookId)).toEqual({
      processed_at: expect.any(Date),
      attempts: 1,
    });
  });

  it("C3 the events are built in SQL as the server reads what was written: CREATED, QUEUED, ARRIVED, MESSAGE; then a joining message's MESSAGE", async () => {
    const number = newNumber();
    const first = await server.services.inbound.receive(
      textFrom(number, '  Snapshot ✓ "quoted"  ', new Date('2026-12-02T10:00:00.123Z')),
    );
    const logged = async (conversationId: string) =>
      (await server.dataSource.query(
        `SELECT stream, payload FROM event_log
          WHERE payload -> 'conversation' ->> 'id' = $1
             OR payload -> 'interaction' ->> 'conversationId' = $1
          ORDER BY at, stream, seq`,
        [conversationId],
      )) as Array<{ stream: string; payload: Record<string, unknown> }>;
    const read = async () => ({
      conversation: snapshotOf(
        await server.dataSource.manager.findOneByOrFail(Conversation, {
          id: first.conversationId,
        }),
      ),
      messages: (
        await server.dataSource.manager.find(Message, {
          where: { conversationId: first.conversationId },
          order: { position: 'ASC' },
        })
      ).map((message) => snapshotOf(message)),
    });
    const inbox = Streams.inboxConversations(org.id, campaign.inboxId);
    const queue = Streams.campaignQueue(org.id, campaign.id);
    const before = await read();
    expect(before.messages[0]).toMatchObject({ body: 'Snapshot ✓ "quoted"' });
    expect(await logged(first.conversationId)).toEqual(
      expect.arrayContaining([
        {
          stream: inbox,
          payload: { kind: 'CREATED', actor: SYSTEM_ACTOR, conversation: before.conversation },
        },
        {
          stream: inbox,
          payload: { kind: 'QUEUED', actor: SYSTEM_ACTOR, conversation: before.conversation },
        },
        {
          stream: queue,
          payload: {
            kind: 'ARRIVED',
            campaignId: campaign.id,
            actor: SYSTEM_ACTOR,
            interaction: {
              conversationId: first.conversationId,
              campaignId: campaign.id,
              customerId: before.conversation.customerId,
              number,
              waitingSince: before.conversation.waitingSince,
            },
          },
        },
        {
          stream: inbox,
          payload: {
            kind: 'MESSAGE',
            actor: SYSTEM_ACTOR,
            conversation: before.conversation,
            message: before.messages[0],
          },
        },
      ]),
    );
    expect(await logged(first.conversationId)).toHaveLength(4);

    const second = await server.services.inbound.receive(
      textFrom(number, 'again', new Date('2026-12-02T11:00:00Z')),
    );
    expect(second.conversationId).toBe(first.conversationId);
    const after = await read();
    expect(after.conversation).toMatchObject({
      replyWindowClosesAt: '2026-12-03T11:00:00.000Z',
      lastMessageAt: after.messages[1]?.createdAt,
    });
    const events = await logged(first.conversationId);
    expect(events).toHaveLength(5);
    const joined = events.filter(
      (event) => (event.payload.message as { id?: string } | undefined)?.id === second.messageId,
    );
    expect(joined).toEqual([
      {
        stream: inbox,
        payload: {
          kind: 'MESSAGE',
          actor: SYSTEM_ACTOR,
          conversation: after.conversation,
          message: after.messages[1],
        },
      },
    ]);
  });

  it("C10 a customer's message joining an interaction an agent has is logged on the agent's message stream too (what spy(agentId) follows), as the inbox has it", async () => {
    const agent = await newStaff(org);
    const number = newNumber();
    const first = await server.services.inbound.receive(textFrom(number, 'waiting'));
    // The interaction as a take leaves it (the take's own rules are C4's tests).
    await server.dataSource.query(
      'UPDATE conversation SET assignee_id = $2, waiting_since = NULL WHERE id = $1',
      [first.conversationId, agent.staff.id],
    );
    const second = await server.services.inbound.receive(textFrom(number, 'to the agent'));
    expect(second.conversationId).toBe(first.conversationId);
    const logged = (await server.dataSource.query(
      `SELECT stream, payload FROM event_log WHERE payload -> 'message' ->> 'id' = $1 ORDER BY stream`,
      [second.messageId],
    )) as Array<{ stream: string; payload: Record<string, unknown> }>;
    const inbox = Streams.inboxConversations(org.id, campaign.inboxId);
    const agentMessages = Streams.staffMessages(org.id, agent.staff.id);
    expect(logged.map((event) => event.stream).sort()).toEqual([agentMessages, inbox].sort());
    expect(logged[0]?.payload).toEqual(logged[1]?.payload);
    expect(logged[0]?.payload).toMatchObject({
      kind: 'MESSAGE',
      message: { id: second.messageId, body: 'to the agent', direction: 'INCOMING' },
    });
    // The first message, while it waited, was nobody's: not on the agent's stream.
    const waiting = (await server.dataSource.query(
      `SELECT stream FROM event_log WHERE payload -> 'message' ->> 'id' = $1`,
      [first.messageId],
    )) as Array<{ stream: string }>;
    expect(waiting).toEqual([{ stream: inbox }]);
  });

  it('C3 the same webhook delivered five times, then five times at once: one message, one interaction, one ARRIVED; every delivery processed', async () => {
    const url = webhookUrl(org, provider);
    for (const concurrently of [false, true]) {
      const number = newNumber();
      const wamid = `wamid.five-${randomUUID()}`;
      const body = meta.inboundBody([
        { from: number, body: 'five times', id: wamid, profileName: 'Grace Hopper' },
      ]);
      const answers = await meta.deliver(url, body, { times: 5, concurrently });
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      await eventually(
        async () => {
          const [{ left }] = (await server.dataSource.query(
            `SELECT count(*)::int AS left FROM provider_webhook
              WHERE provider_id = $1 AND processed_at IS NULL`,
            [provider.id],
          )) as Array<{ left: number }>;
          return left === 0;
        },
        10_000,
        'the five deliveries processed',
      );
      const stored = await messagesWith(wamid);
      expect(stored).toHaveLength(1);
      const [{ conversations, name, arrivals }] = (await server.dataSource.query(
        `SELECT (SELECT count(*)::int FROM conversation c WHERE c.contact_id = k.id) AS conversations,
                (SELECT u.name FROM customer u WHERE u.id = k.customer_id) AS name,
                (SELECT count(*)::int FROM event_log e
                  WHERE e.payload ->> 'kind' = 'ARRIVED'
                    AND e.payload -> 'interaction' ->> 'conversationId' = $3) AS arrivals
           FROM contact k WHERE k.organization_id = $1 AND k.value = $2`,
        [org.id, number, stored[0]!.conversation_id],
      )) as Array<{ conversations: number; name: string; arrivals: number }>;
      // The customer is named by their WhatsApp profile, as Meta gives it.
      expect({ conversations, name, arrivals }).toEqual({
        conversations: 1,
        name: 'Grace Hopper',
        arrivals: 1,
      });
    }
  });

  it('C3 a delivery with a message stored already and a new one: the new one is stored, the other answered as stored, nothing of it written again', async () => {
    const known = newNumber();
    const knownId = `wamid.known-${randomUUID()}`;
    const earlier = await server.services.inbound.receive({
      providerId: provider.id,
      providerMessageId: knownId,
      from: known,
      to: provider.accountNumber,
      body: 'first time',
      providerTimestamp: new Date(),
      contentType: 'text',
    });
    const fresh = newNumber();
    const results = await server.services.inbound.receiveAll(provider.id, [
      {
        providerMessageId: knownId,
        from: known,
        to: provider.accountNumber,
        body: 'first time',
        providerTimestamp: new Date(),
        contentType: 'text',
      },
      {
        providerMessageId: `wamid.fresh-${randomUUID()}`,
        from: fresh,
        to: provider.accountNumber,
        body: 'beside it',
        providerTimestamp: new Date(),
        contentType: 'text',
      },
    ]);
    expect(results[0]).toEqual({
      conversationId: earlier.conversationId,
      messageId: earlier.messageId,
      duplicate: true,
    });
    expect(results[1]).toMatchObject({ duplicate: false });
    expect(results[1]!.conversationId).not.toBe(earlier.conversationId);
    const [{ messages }] = (await server.dataSource.query(
      'SELECT count(*)::int AS messages FROM message WHERE conversation_id = $1',
      [earlier.conversationId],
    )) as Array<{ messages: number }>;
    expect(messages).toBe(1);
    // A new number's message that turns out stored leaves no customer behind: the same
    // message again from a number never seen (a provider's inconsistency) writes nothing.
    const stray = newNumber();
    const [again] = await server.services.inbound.receiveAll(provider.id, [
      {
        providerMessageId: knownId,
        from: stray,
        to: provider.accountNumber,
        body: 'first time',
        providerTimestamp: new Date(),
        contentType: 'text',
      },
    ]);
    expect(again).toMatchObject({ messageId: earlier.messageId, duplicate: true });
    const [{ contacts, conversations }] = (await server.dataSource.query(
      `SELECT (SELECT count(*)::int FROM contact WHERE organization_id = $1 AND value = $2) AS contacts,
              (SELECT count(*)::int FROM conversation c JOIN contact k ON k.id = c.contact_id
                WHERE k.value = $2) AS conversations`,
      [org.id, stray],
    )) as Array<{ contacts: number; conversations: number }>;
    expect({ contacts, conversations }).toEqual({ contacts: 0, conversations: 0 });
  });
});
