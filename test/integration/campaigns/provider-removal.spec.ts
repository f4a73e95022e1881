import type { QueryRunner } from 'typeorm';
import { inboundLockKey } from '../../../src/services/campaign/inbound.store';
import {
  CampaignReplyDocument,
  DeleteProviderDocument,
  DeliveryEventsDocument,
  RetryMessageDocument,
  UpdateCampaignDocument,
} from '../../generated/graphql';
import { eventually, newOrg, type Org } from '../../support/factories';
import { newCampaignInteraction } from '../../support/providers/interactions';
import { campaignOnStub, deliveryOf, webhookUrl } from '../../support/providers/setup';
import { WhatsAppCloudStub } from '../../support/providers/whatsapp-cloud-stub';
import { startTestServer, type TestServer } from '../../support/server';
import { connect, settle, subscribe, type Console } from '../../support/ws';

/**
 * A provider deleted while its work is under way (C1): a send in flight at the provider, a
 * customer's webhook being stored or processed. The delete must neither leave a sent message
 * looking unsent (an agent's retry would send it twice) nor turn the webhook into a 500 or a job
 * failing on a foreign key.
 */
describe('a provider deleted while its sends and webhooks are under way (C1, C3, C6)', () => {
  let server: TestServer;
  let org: Org;
  const stub = new WhatsAppCloudStub('+15550004000');
  const consoles: Console[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      config: { outboxSendsPerSecond: 1000, jobPollIntervalMs: 100 },
    });
    org = await newOrg(server);
    await stub.start();
  });
  afterAll(async () => {
    for (const c of consoles) await c.dispose();
    await server.stop();
    await stub.stop();
  });

  let numbers = 0;
  const newNumber = () => `+3460011${String(100 + numbers++).padStart(4, '0')}`;

  /** A campaign disabled on its own provider, ready for the provider to be deleted. */
  async function disabledCampaign() {
    const { campaign, provider } = await campaignOnStub(org, stub);
    const disable = () =>
      org.admin.api.ok(UpdateCampaignDocument, {
        input: { campaignId: campaign.id, enabled: false },
      });
    return { campaign, provider, disable };
  }

  /** Resolves once some backend of the server waits on a lock (a row's, or an advisory one). */
  const someoneWaitsOnALock = () =>
    eventually(
      async () => {
        const [row] = (await server.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )) as Array<{ n: number }>;
        return (row?.n ?? 0) > 0;
      },
      10_000,
      'a backend waiting on a lock',
    );

  it('C1/C6 a send in flight when its provider is deleted: the provider took it, so it is SENT with its id (not FAILED PROVIDER_REMOVED), live, and a retry is refused: never sent twice', async () => {
    const { campaign, provider, disable } = await disabledCampaign();
    const phone = newNumber();
    const conversation = await newCampaignInteraction(org, campaign, {
      phone,
      replyWindowClosesAt: new Date(Date.now() + 3600_000),
    });
    const console = await connect(server.wsUrl, org.admin.token);
    consoles.push(console);
    const events = subscribe(console, DeliveryEventsDocument, { inboxId: campaign.inboxId });
    await settle();

    const held = stub.holdNextSend();
    const { sendMessage } = await org.admin.api.ok(CampaignReplyDocument, {
      input: { conversationId: conversation.id, body: 'in flight as the line goes' },
    });
    const id = sendMessage.message.id;
    await held.arrived; // the provider has it, and has not answered
    await disable();
    await org.admin.api.ok(DeleteProviderDocument, { input: { providerId: provider.id } });
    // The delete failed it: it was QUEUED, with no provider id yet.
    expect(await deliveryOf(org, id)).toMatchObject({
      deliveryState: 'FAILED',
      deliveryErrorCode: 'PROVIDER_REMOVED',
    });
    held.release();

    await eventually(
      async () => (await deliveryOf(org, id)).deliveryState === 'SENT',
      10_000,
      'the accepted send recorded SENT',
    );
    const wamid = stub.sentIds.at(-1);
    expect(await deliveryOf(org, id)).toMatchObject({
      deliveryState: 'SENT',
      providerMessageId: wamid,
      deliveryErrorCode: null,
      deliveryErrorReason: null,
      sendAttempts: 1,
    });
    // The console saw it FAILED by the delete, then SENT once the provider's answer came.
    const seen: string[] = [];
    while (seen.at(-1) !== 'SENT') {
      const { conversationEvents } = await events.nextData();
      if (conversationEvents.kind === 'DELIVERY' && conversationEvents.message?.id === id)
        seen.push(conversationEvents.message.deliveryState as string);
    }
    expect(seen).toEqual(['FAILED', 'SENT']);
    events.close();

    // SENT is not retried: the customer never gets it twice.
    const refused = await org.admin.api.fails(RetryMessageDocument, { input: { messageId: id } });
    expect(refused.extensions?.code).toBe('CONFLICT');
    await settle(300);
    expect(stub.sends().filter((s) => s.to === phone.replace('+', ''))).toHaveLength(1);
  });

  it('C1/C6 a send in flight when its provider is deleted, answered with a retryable error: it stays FAILED PROVIDER_REMOVED (not "retrying")', async () => {
    const { campaign, provider, disable } = await disabledCampaign();
    const conversation = await newCampaignInteraction(org, campaign, {
      phone: newNumber(),
      replyWindowClosesAt: new Date(Date.now() + 3600_000),
    });
    const held = stub.holdNextSend();
    stub.failNext(1, { status: 429, code: 130429, message: 'Rate limit hit' });
    const { sendMessage } = await org.admin.api.ok(CampaignReplyDocument, {
      input: { conversationId: conversation.id, body: 'refused as the line goes' },
    });
    const id = sendMessage.message.id;
    await held.arrived;
    await disable();
    await org.admin.api.ok(DeleteProviderDocument, { input: { providerId: provider.id } });
    const answered = stub.received.length;
    held.release();
    await eventually(() => stub.received.length > answered, 10_000, 'the 429 answered');
    await settle(500); // the drain has read the answer and recorded what it records
    expect(await deliveryOf(org, id)).toMatchObject({
      deliveryState: 'FAILED',
      deliveryErrorCode: 'PROVIDER_REMOVED',
      providerMessageId: null,
    });
  });

  it('C1/C3 a webhook stored as its provider is deleted: answered 404 (the provider is gone), never a 500', async () => {
    const { provider, disable } = await disabledCampaign();
    await disable();
    // The delete under way (its row lock held) while the webhook is verified and stored.
    const deleting = server.dataSource.createQueryRunner();
    await deleting.startTransaction();
    try {
      await deleting.query('DELETE FROM provider WHERE id = $1', [provider.id]);
      const answer = stub.deliver(
        webhookUrl(org, provider),
        stub.inboundBody([{ from: newNumber(), body: 'as the line is deleted' }]),
      );
      await someoneWaitsOnALock();
      await deleting.commitTransaction();
      const [answered] = await answer;
      expect(answered?.status).toBe(404);
    } finally {
      if (deleting.isTransactionActive) await deleting.rollbackTransaction();
      await deleting.release();
    }
    const [row] = (await server.dataSource.query(
      'SELECT count(*)::int AS n FROM provider_webhook WHERE provider_id = $1',
      [provider.id],
    )) as Array<{ n: number }>;
    expect(row?.n).toBe(0);
  });

  it('C1/C3 a webhook processed as its provider is deleted: the job ends (nothing to store for a provider gone), never fails on a foreign key to be retried', async () => {
    const { provider, disable } = await disabledCampaign();
    await disable();
    const from = newNumber();
    const body = stub.inboundBody([{ from, body: 'processed as the line goes' }]);
    const [{ id: webhookId }] = (await server.dataSource.query(
      `INSERT INTO provider_webhook (organization_id, provider_id, raw_body, headers, public_url)
       VALUES ($1, $2, $3, $4, '') RETURNING id`,
      [org.id, provider.id, Buffer.from(body), { 'x-hub-signature-256': stub.sign(body) }],
    )) as Array<{ id: string }>;
    // The job stops inside its statement, at the customer's number's lock, with the provider
    // still there; the provider is deleted meanwhile.
    const number: QueryRunner = server.dataSource.createQueryRunner();
    await number.startTransaction();
    let processing: Promise<unknown> | undefined;
    try {
      await number.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        inboundLockKey(provider.id, from),
      ]);
      processing = server.services.providerWebhooks.process(webhookId).then(
        () => 'done',
        (error: unknown) => error,
      );
      await someoneWaitsOnALock();
      await server.services.providers.delete(org.admin.auth, provider.id);
      await number.commitTransaction();
    } finally {
      if (number.isTransactionActive) await number.rollbackTransaction();
      await number.release();
    }
    expect(await processing).toBe('done');
    const [stored] = (await server.dataSource.query(
      `SELECT count(*)::int AS n FROM message WHERE body = 'processed as the line goes'`,
    )) as Array<{ n: number }>;
    expect(stored?.n).toBe(0);
  });
});
