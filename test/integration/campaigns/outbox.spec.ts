import { SYSTEM_ACTOR } from '../../../src/context/auth';
import { Conversation } from '../../../src/entities/conversation.entity';
import { Message } from '../../../src/entities/message.entity';
import { ProviderHealthState } from '../../../src/entities/provider.entity';
import { snapshotOf } from '../../../src/subscriptions/snapshot';
import {
  CampaignReplyDocument,
  DeleteProviderDocument,
  DeliveryEventsDocument,
  RetryMessageDocument,
  UpdateCampaignDocument,
} from '../../generated/graphql';
import { eventually, newOrg, type Org } from '../../support/factories';
import { newCampaignInteraction } from '../../support/providers/interactions';
import {
  campaignOnStub,
  deliveryOf,
  providerOnStub,
  webhookUrl,
} from '../../support/providers/setup';
import { WhatsAppCloudStub } from '../../support/providers/whatsapp-cloud-stub';
import { whileRefusedOnce } from '../../support/refused-once';
import { startTestServer, type TestServer } from '../../support/server';
import { connect, settle, subscribe, type Console } from '../../support/ws';

/** Retries fast enough for a test: 100 ms doubling up to 800 ms. */
const CONFIG = {
  outboxRetryBaseMs: 100,
  outboxRetryMaxMs: 800,
  outboxSendsPerSecond: 1000,
  jobPollIntervalMs: 100,
};

describe('the outbox (C6) and the 24-hour window, against the WhatsApp Cloud stub', () => {
  let server: TestServer;
  let org: Org;
  const stub = new WhatsAppCloudStub();
  const consoles: Console[] = [];

  beforeAll(async () => {
    server = await startTestServer({ config: CONFIG });
    org = await newOrg(server);
    await stub.start();
  });
  afterAll(async () => {
    for (const c of consoles) await c.dispose();
    await server.stop();
    await stub.stop();
  });
  afterEach(() => stub.clearFailures());

  let number = 0;
  const customerNumber = () => `+1555123${String(1000 + number++).slice(-4)}`;

  async function setup(options: { windowOpen?: boolean } = {}) {
    const { campaign, provider } = await campaignOnStub(org, stub, {
      cannedResponses: [
        { title: 'Hello', body: 'Hello, how can we help?' },
        {
          title: 'Follow-up',
          body: 'We have news about your order',
          templateName: 'order_followup',
          templateLanguage: 'en_US',
        },
      ],
    });
    const phone = customerNumber();
    const conversation = await newCampaignInteraction(org, campaign, {
      phone,
      replyWindowClosesAt:
        options.windowOpen === false
          ? new Date(Date.now() - 1000)
          : new Date(Date.now() + 3600_000),
    });
    const canned = (await server.dataSource.query(
      'SELECT id, template_name AS "templateName" FROM canned_response WHERE campaign_id = $1 ORDER BY position',
      [campaign.id],
    )) as Array<{ id: string; templateName: string | null }>;
    return { campaign, provider, conversation, phone, canned };
  }

  const reply = (conversationId: string, body: string) =>
    org.admin.api.ok(CampaignReplyDocument, { input: { conversationId, body } });

  const sendsTo = (phone: string) => stub.sends().filter((s) => s.to === phone.replace('+', ''));

  it('C6 a reply is stored QUEUED with its job, then sent: SENT with the provider’s id, live', async () => {
    const { campaign, conversation, phone } = await setup();
    const console = await connect(server.wsUrl, org.admin.token);
    consoles.push(console);
    const events = subscribe(console, DeliveryEventsDocument, { inboxId: campaign.inboxId });
    await settle();

    const { sendMessage } = await reply(conversation.id, 'Hi 👋 there');
    expect(sendMessage.message).toMatchObject({ deliveryState: 'QUEUED', direction: 'OUTGOING' });

    const queued = await events.nextData();
    expect(queued.conversationEvents).toMatchObject({
      kind: 'MESSAGE',
      message: { id: sendMessage.message.id, deliveryState: 'QUEUED' },
    });
    const sent = await events.nextData();
    expect(sent.conversationEvents).toMatchObject({
      kind: 'DELIVERY',
      message: { id: sendMessage.message.id, deliveryState: 'SENT' },
    });
    expect(sendsTo(phone)).toEqual([
      expect.objectContaining({ type: 'text', text: { preview_url: false, body: 'Hi 👋 there' } }),
    ]);
    expect(await deliveryOf(org, sendMessage.message.id)).toMatchObject({
      deliveryState: 'SENT',
      providerMessageId: expect.stringMatching(/^wamid\./),
      sendAttempts: 1,
    });
    events.close();
  });

  it('C6 the SENT record logs its DELIVERY event in SQL: the message and conversation exactly as the server reads them', async () => {
    const { conversation } = await setup();
    const { sendMessage } = await reply(conversation.id, 'Snapshot ✓ "quoted"');
    const id = sendMessage.message.id;
    const logged = async () =>
      (
        (await server.dataSource.query(
          `SELECT payload FROM event_log
            WHERE payload ->> 'kind' = 'DELIVERY' AND payload -> 'message' ->> 'id' = $1`,
          [id],
        )) as Array<{ payload: Record<string, unknown> }>
      )[0]?.payload;
    await eventually(
      async () => (await logged()) !== undefined,
      10_000,
      'the DELIVERY event numbered',
    );
    const message = await server.dataSource.manager.findOneByOrFail(Message, { id });
    const read = await server.dataSource.manager.findOneByOrFail(Conversation, {
      id: conversation.id,
    });
    expect(await logged()).toEqual({
      kind: 'DELIVERY',
      actor: SYSTEM_ACTOR,
      message: snapshotOf(message),
      conversation: snapshotOf(read),
    });
    expect(message).toMatchObject({ deliveryState: 'SENT', sendAttempts: 1 });
  });

  it('C6 replies of one conversation go out in the order they were written', async () => {
    const { conversation, phone } = await setup();
    const bodies = ['one', 'two', 'three', 'four', 'five', 'six'];
    for (const body of bodies) await reply(conversation.id, body);
    await eventually(() => sendsTo(phone).length === bodies.length, 10_000, 'six sends');
    expect(sendsTo(phone).map((s) => s.text?.body)).toEqual(bodies);
  });

  it('C6 the provider failing 3 times (429, 5xx) then recovering: each message sent once, in order', async () => {
    const { conversation, phone } = await setup();
    stub.failNext(1, { status: 429, code: 130429 });
    stub.failNext(2, { status: 503, code: 131016 });
    const first = await reply(conversation.id, 'first');
    const second = await reply(conversation.id, 'second');
    await eventually(
      async () => (await deliveryOf(org, second.sendMessage.message.id)).deliveryState === 'SENT',
      15_000,
      'both sent',
    );
    const accepted = stub.sentIds;
    expect(await deliveryOf(org, first.sendMessage.message.id)).toMatchObject({
      deliveryState: 'SENT',
      sendAttempts: 4,
    });
    // Four tries of "first" (three refused), then "second" once: never "second" before "first".
    expect(sendsTo(phone).map((s) => s.text?.body)).toEqual([
      'first',
      'first',
      'first',
      'first',
      'second',
    ]);
    const ids = [first, second].map((r) => r.sendMessage.message.id);
    const stored = await Promise.all(ids.map((id) => deliveryOf(org, id)));
    expect(stored.map((s) => accepted.includes(s.providerMessageId!))).toEqual([true, true]);
  });

  it('C6 a permanent failure fails that message only; the others go through', async () => {
    const a = await setup();
    const b = await setup();
    stub.failSendsTo(b.phone, { status: 400, code: 131026, message: 'Message undeliverable' });
    const toB = await reply(b.conversation.id, 'to b');
    const toBAfter = await reply(b.conversation.id, 'to b again');
    const toA = await reply(a.conversation.id, 'to a');
    await eventually(
      async () =>
        (await deliveryOf(org, toBAfter.sendMessage.message.id)).deliveryState === 'FAILED' &&
        (await deliveryOf(org, toA.sendMessage.message.id)).deliveryState === 'SENT',
      10_000,
      'b failed, a sent',
    );
    expect(await deliveryOf(org, toB.sendMessage.message.id)).toMatchObject({
      deliveryState: 'FAILED',
      deliveryErrorCode: '131026',
      deliveryErrorReason: 'Message undeliverable',
      sendAttempts: 1,
    });
    // Never retried.
    await settle(500);
    expect(sendsTo(b.phone)).toHaveLength(2);
  });

  it('C6 Meta 131047 is FAILED as "needs a template", not retried', async () => {
    const { conversation, phone } = await setup();
    stub.failSendsTo(phone, { status: 400, code: 131047, message: 'Re-engagement message' });
    const { sendMessage } = await reply(conversation.id, 'late');
    await eventually(
      async () => (await deliveryOf(org, sendMessage.message.id)).deliveryState === 'FAILED',
      10_000,
    );
    expect(await deliveryOf(org, sendMessage.message.id)).toMatchObject({
      deliveryErrorCode: '131047',
      deliveryErrorReason: expect.stringMatching(/^Needs a template/),
    });
    await settle(500);
    expect(sendsTo(phone)).toHaveLength(1);
  });

  /** Resolves once the provider is FAILING (a refused token marked it). */
  const providerFailing = (providerId: string) =>
    eventually(
      async () =>
        (await server.services.providers.get(org.admin.auth, providerId)).healthState ===
        ProviderHealthState.FAILING,
      10_000,
      'provider FAILING',
    );

  it('C6 a 401 marks the provider FAILING and holds its outbox; updateProvider releases it', async () => {
    const { conversation, provider, phone } = await setup();
    stub.accessToken = 'rotated-token';
    try {
      const first = await reply(conversation.id, 'held 1');
      await providerFailing(provider.id);
      const second = await reply(conversation.id, 'held 2');
      await settle(1500);
      // Held: QUEUED, and the provider was asked only by the first try and the probes.
      expect((await deliveryOf(org, first.sendMessage.message.id)).deliveryState).toBe('QUEUED');
      expect((await deliveryOf(org, second.sendMessage.message.id)).deliveryState).toBe('QUEUED');
      expect(sendsTo(phone).length).toBeGreaterThanOrEqual(1);

      await server.services.providers.update(org.admin.auth, provider.id, {
        accessToken: 'rotated-token',
      });
      await eventually(
        async () => (await deliveryOf(org, second.sendMessage.message.id)).deliveryState === 'SENT',
        10_000,
        'released',
      );
      expect((await deliveryOf(org, first.sendMessage.message.id)).deliveryState).toBe('SENT');
      const accepted = stub
        .sends()
        .filter((s, i) => s.to === phone.replace('+', '') && i >= 0)
        .map((s) => s.text?.body);
      expect(accepted.slice(-2)).toEqual(['held 1', 'held 2']);
    } finally {
      stub.accessToken = 'EAAG-stub-access-token';
    }
  });

  it("C1/C6 a provider deleted under queued sends: each FAILED (PROVIDER_REMOVED) with its event, in the delete; a retry goes through the campaign's new provider", async () => {
    const { campaign, conversation, provider, phone } = await setup();
    const console = await connect(server.wsUrl, org.admin.token);
    consoles.push(console);
    const events = subscribe(console, DeliveryEventsDocument, { inboxId: campaign.inboxId });
    await settle();
    stub.accessToken = 'rotated-token';
    let held: string[] = [];
    try {
      const first = await reply(conversation.id, 'held by a removed line 1');
      await providerFailing(provider.id);
      const second = await reply(conversation.id, 'held by a removed line 2');
      held = [first.sendMessage.message.id, second.sendMessage.message.id];
      for (const id of held) expect((await deliveryOf(org, id)).deliveryState).toBe('QUEUED');

      await org.admin.api.ok(UpdateCampaignDocument, {
        input: { campaignId: campaign.id, enabled: false },
      });
      await org.admin.api.ok(DeleteProviderDocument, { input: { providerId: provider.id } });
    } finally {
      stub.accessToken = 'EAAG-stub-access-token';
    }
    // Committed with the delete: no wait.
    for (const id of held) {
      expect(await deliveryOf(org, id)).toMatchObject({
        deliveryState: 'FAILED',
        deliveryErrorCode: 'PROVIDER_REMOVED',
        providerMessageId: null,
      });
      expect((await deliveryOf(org, id)).deliveryErrorReason).toContain(provider.name);
    }
    // Live on the agent's console: a DELIVERY event per message, in order.
    const failed: Array<{ id: string }> = [];
    while (failed.length < 2) {
      const { conversationEvents } = await events.nextData();
      if (conversationEvents.kind === 'DELIVERY' && conversationEvents.message)
        failed.push(conversationEvents.message);
    }
    expect(failed).toEqual(
      held.map((id) =>
        expect.objectContaining({
          id,
          deliveryState: 'FAILED',
          deliveryErrorCode: 'PROVIDER_REMOVED',
        }),
      ),
    );
    events.close();
    await settle(500);
    expect(sendsTo(phone).filter((s) => s.text?.body === 'held by a removed line 2')).toEqual([]);

    // The campaign moves to another line: the agent's retry goes through it.
    const replacement = await providerOnStub(org, stub);
    await org.admin.api.ok(UpdateCampaignDocument, {
      input: { campaignId: campaign.id, providerId: replacement.id, enabled: true },
    });
    const { retryMessage } = await org.admin.api.ok(RetryMessageDocument, {
      input: { messageId: held[1] },
    });
    expect(retryMessage.message).toMatchObject({
      deliveryState: 'QUEUED',
      deliveryErrorCode: null,
    });
    await eventually(
      async () => (await deliveryOf(org, held[1] as string)).deliveryState === 'SENT',
      10_000,
      'retried through the new provider',
    );
    const [row] = (await server.dataSource.query('SELECT provider_id FROM message WHERE id = $1', [
      held[1],
    ])) as Array<{ provider_id: string }>;
    expect(row?.provider_id).toBe(replacement.id);
    expect(sendsTo(phone).filter((s) => s.text?.body === 'held by a removed line 2')).toHaveLength(
      1,
    );
  });

  it('C6 a queued send whose provider is gone (no provider left on the row) is FAILED by the drain and never blocks the sends after it', async () => {
    const { conversation, phone, provider } = await setup();
    // A send queued (held) for a provider deleted before deleteProvider failed such sends: its
    // foreign key set to null.
    const health = (state: string) =>
      server.dataSource.query('UPDATE provider SET health_state = $2 WHERE id = $1', [
        provider.id,
        state,
      ]);
    await health('FAILING');
    const stale = await reply(conversation.id, 'queued for a line long gone');
    await server.dataSource.query(
      `UPDATE message SET provider_id = NULL WHERE id = $1 AND delivery_state = 'QUEUED'`,
      [stale.sendMessage.message.id],
    );
    await health('OK');
    const next = await reply(conversation.id, 'after the stale one');
    await eventually(
      async () => (await deliveryOf(org, next.sendMessage.message.id)).deliveryState === 'SENT',
      10_000,
      'the later reply sent',
    );
    expect(await deliveryOf(org, stale.sendMessage.message.id)).toMatchObject({
      deliveryState: 'FAILED',
      deliveryErrorCode: 'PROVIDER_REMOVED',
    });
    expect(sendsTo(phone).map((s) => s.text?.body)).toContain('after the stale one');
  });

  /** Replies to `count` conversations written while their provider is FAILING: held. */
  async function heldReplies(count: number) {
    const { campaign, provider } = await campaignOnStub(org, stub);
    const phones = Array.from({ length: count }, () => customerNumber());
    const conversations = [];
    for (const phone of phones) {
      conversations.push(
        await newCampaignInteraction(org, campaign, {
          phone,
          replyWindowClosesAt: new Date(Date.now() + 3600_000),
        }),
      );
    }
    await server.dataSource.query(`UPDATE provider SET health_state = 'FAILING' WHERE id = $1`, [
      provider.id,
    ]);
    // Its token refused meanwhile, so that the probes a held drain schedules fail too: without
    // it the first probe (200 ms on) healed the provider while the replies were being written.
    stub.failNext(10_000, { status: 401, code: 190, message: 'Error validating access token' });
    const ids: string[] = [];
    for (const conversation of conversations)
      ids.push((await reply(conversation.id, 'held for the line')).sendMessage.message.id);
    /** The provider back: its held replies released. */
    const backOnline = async () => {
      stub.clearFailures();
      await server.dataSource.query(`UPDATE provider SET health_state = 'OK' WHERE id = $1`, [
        provider.id,
      ]);
      await server.services.outbox.release(provider.id);
    };
    const everySentOnce = async () => {
      await eventually(
        async () => {
          const [row] = (await server.dataSource.query(
            `SELECT count(*)::int AS n FROM message WHERE id = ANY($1) AND delivery_state = 'SENT'`,
            [ids],
          )) as Array<{ n: number }>;
          return row?.n === ids.length;
        },
        15_000,
        'every held reply sent',
      );
      // Accepted once each (the probes' refused attempts went to the oldest).
      for (const phone of phones) {
        const to = phone.replace('+', '');
        expect(stub.sends({ accepted: true }).filter((send) => send.to === to)).toHaveLength(1);
      }
    };
    return { backOnline, everySentOnce };
  }

  it('C6 a provider back with many conversations held (more than one chunk of jobs): each conversation drained, every reply sent once', async () => {
    const { backOnline, everySentOnce } = await heldReplies(30);
    await backOnline();
    await everySentOnce();
  });

  it('C6 a chunk of drain jobs refused by a deadlock (with graphile-worker deleting completed jobs) is added again one conversation at a time: every reply sent once', async () => {
    const { backOnline, everySentOnce } = await heldReplies(30);
    // The first drain job the release adds is refused as a deadlock would refuse it, once.
    await whileRefusedOnce(
      server.dataSource,
      {
        name: 'refuse_drain_once',
        on: 'BEFORE INSERT',
        table: 'graphile_worker._private_jobs',
        when: "NEW.key LIKE 'outbox:%'",
        raise: "RAISE EXCEPTION 'deadlock on purpose' USING ERRCODE = 'deadlock_detected'",
      },
      async (refusals) => {
        await backOnline();
        expect(await refusals()).toBeGreaterThan(1); // refused once, then added one by one
        await everySentOnce();
      },
    );
  });

  it('C6 a FAILING provider recovers by itself when a probe succeeds', async () => {
    const { conversation, provider } = await setup();
    stub.failNext(1, { status: 401, code: 190, message: 'Error validating access token' });
    const { sendMessage } = await reply(conversation.id, 'after the outage');
    await eventually(
      async () => (await deliveryOf(org, sendMessage.message.id)).deliveryState === 'SENT',
      10_000,
      'probe success',
    );
    const health = await server.services.providers.get(org.admin.auth, provider.id);
    expect(health.healthState).toBe(ProviderHealthState.OK);
  });

  it('C6 status callbacks out of order and duplicated never move a delivery back', async () => {
    const { conversation, provider, campaign } = await setup();
    const { sendMessage } = await reply(conversation.id, 'track me');
    await eventually(
      async () => (await deliveryOf(org, sendMessage.message.id)).deliveryState === 'SENT',
      10_000,
    );
    const wamid = (await deliveryOf(org, sendMessage.message.id)).providerMessageId!;
    const console = await connect(server.wsUrl, org.admin.token);
    consoles.push(console);
    const events = subscribe(console, DeliveryEventsDocument, { inboxId: campaign.inboxId });
    await settle();
    const url = webhookUrl(org, provider);
    // READ arrives first, then the late DELIVERED and SENT, then READ again.
    for (const status of ['read', 'delivered', 'sent', 'read'] as const) {
      const [answer] = await stub.deliver(url, stub.statusBody([{ id: wamid, status }]), {
        times: 2,
      });
      expect(answer!.status).toBe(200);
    }
    const event = await events.nextData();
    expect(event.conversationEvents).toMatchObject({
      kind: 'DELIVERY',
      message: { id: sendMessage.message.id, deliveryState: 'READ' },
    });
    await events.expectSilence(1500);
    expect((await deliveryOf(org, sendMessage.message.id)).deliveryState).toBe('READ');
    events.close();
  });

  it('REPLY_WINDOW_CLOSED free text outside the 24-hour window is refused at once; a template goes', async () => {
    const { conversation, phone, canned } = await setup({ windowOpen: false });
    const before = stub.sends().length;
    const error = await org.admin.api.fails(CampaignReplyDocument, {
      input: { conversationId: conversation.id, body: 'free text' },
    });
    expect(error.extensions?.code).toBe('REPLY_WINDOW_CLOSED');
    const plain = canned.find((c) => !c.templateName)!;
    expect(
      (
        await org.admin.api.fails(CampaignReplyDocument, {
          input: { conversationId: conversation.id, cannedResponseId: plain.id },
        })
      ).extensions?.code,
    ).toBe('REPLY_WINDOW_CLOSED');
    const [{ count }] = (await server.dataSource.query(
      `SELECT count(*)::int AS count FROM message WHERE conversation_id = $1 AND direction = 'OUTGOING'`,
      [conversation.id],
    )) as Array<{ count: number }>;
    expect(count).toBe(0);

    const template = canned.find((c) => c.templateName)!;
    const { sendMessage } = await org.admin.api.ok(CampaignReplyDocument, {
      input: { conversationId: conversation.id, cannedResponseId: template.id },
    });
    expect(sendMessage.message).toMatchObject({
      templateName: 'order_followup',
      deliveryState: 'QUEUED',
    });
    await eventually(() => stub.sends().length > before, 10_000, 'the template sent');
    expect(sendsTo(phone)).toEqual([
      expect.objectContaining({
        type: 'template',
        template: expect.objectContaining({ name: 'order_followup', language: { code: 'en_US' } }),
      }),
    ]);
  });
});

describe('the outbox throttle per sender number (C6)', () => {
  /** 10 sends a second: one send slot of the number every 100 ms. */
  const CONFIG = { outboxSendsPerSecond: 10, jobPollIntervalMs: 100 };
  let server: TestServer;
  let org: Org;
  const stub = new WhatsAppCloudStub();

  beforeAll(async () => {
    server = await startTestServer({ config: CONFIG });
    org = await newOrg(server);
    await stub.start();
  });
  afterAll(async () => {
    await server.stop();
    await stub.stop();
  });

  it('C6 sends of one number are spaced by its send interval, across conversations and batches; each conversation in order', async () => {
    const { campaign } = await campaignOnStub(org, stub);
    const phones = ['+15551240001', '+15551240002'];
    const conversations = await Promise.all(
      phones.map((phone) =>
        newCampaignInteraction(org, campaign, {
          phone,
          replyWindowClosesAt: new Date(Date.now() + 3600_000),
        }),
      ),
    );
    // More than one drain's batch per conversation, both conversations draining at once.
    const bodies = Array.from({ length: 12 }, (_, i) => `throttled ${i}`);
    for (const body of bodies) {
      for (const conversation of conversations) {
        await org.admin.api.ok(CampaignReplyDocument, {
          input: { conversationId: conversation.id, body },
        });
      }
    }
    const total = bodies.length * conversations.length;
    await eventually(() => stub.sends().length === total, 20_000, 'every send');
    const times = stub.received
      .filter((request) => request.method === 'POST')
      .map((request) => request.at.getTime())
      .sort((a, b) => a - b);
    // 24 sends at 10 a second take 2.3 s at least (less a little timer and network jitter);
    // unthrottled they take a few tens of milliseconds.
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThanOrEqual((total - 1) * 100 - 150);
    // No second holds more than 12 sends (its 10, and a little jitter at its edges).
    for (let i = 0; i + 12 < times.length; i++) {
      expect(times[i + 12]! - times[i]!).toBeGreaterThanOrEqual(1000);
    }
    for (const phone of phones) {
      expect(
        stub
          .sends()
          .filter((send) => send.to === phone.replace('+', ''))
          .map((send) => send.text?.body),
      ).toEqual(bodies);
    }
  });
});
