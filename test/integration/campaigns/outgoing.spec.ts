import { ContactKind } from '../../../src/entities/enums';
import {
  CampaignQueueDocument,
  CampaignReplyDocument,
  CloseConversationDocument,
  DeliveryEventsDocument,
  RetryMessageDocument,
  StartOutgoingInteractionDocument,
} from '../../generated/graphql';
import {
  eventually,
  newAgent,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../../support/factories';
import { newCampaignInteraction } from '../../support/providers/interactions';
import { campaignOnStub, deliveryOf } from '../../support/providers/setup';
import { WhatsAppCloudStub } from '../../support/providers/whatsapp-cloud-stub';
import { startTestServer, type TestServer } from '../../support/server';
import { fingerprintDatabase } from '../refusals';
import { connect, settle, subscribe, type Console } from '../../support/ws';

/** Retries fast enough for a test. */
const CONFIG = {
  outboxRetryBaseMs: 100,
  outboxRetryMaxMs: 800,
  outboxSendsPerSecond: 1000,
  jobPollIntervalMs: 100,
};

const TEMPLATE = {
  title: 'Follow-up',
  body: 'We have news about your order',
  templateName: 'order_followup',
  templateLanguage: 'en_US',
};

describe('outgoing interactions (C16) and retries (C6), against the WhatsApp Cloud stub', () => {
  let server: TestServer;
  let org: Org;
  let agent: Member;
  const stub = new WhatsAppCloudStub();
  const consoles: Console[] = [];

  beforeAll(async () => {
    server = await startTestServer({ config: CONFIG });
    org = await newOrg(server);
    agent = await newAgent(org);
    await stub.start();
  }, 60_000);
  afterAll(async () => {
    for (const c of consoles) await c.dispose();
    await server.stop();
    await stub.stop();
  });
  afterEach(() => stub.clearFailures());

  let number = 0;
  const customerNumber = () => `+1555124${String(1000 + number++).slice(-4)}`;
  const sendsTo = (phone: string) => stub.sends().filter((s) => s.to === phone.replace('+', ''));

  async function newStubCampaign(options: { members?: Member[]; max?: number } = {}) {
    const { campaign, provider } = await campaignOnStub(org, stub, {
      members: options.members ?? [agent],
      maxInteractionsPerAgent: options.max ?? 3,
      cannedResponses: [{ title: 'Hello', body: 'Hello, how can we help?' }, TEMPLATE],
    });
    const canned = (await server.dataSource.query(
      'SELECT id FROM canned_response WHERE campaign_id = $1 ORDER BY position',
      [campaign.id],
    )) as Array<{ id: string }>;
    return { campaign, provider, text: canned[0].id, template: canned[1].id };
  }

  const start = (member: Member, input: Record<string, unknown>) =>
    member.api.request(StartOutgoingInteractionDocument, {
      input: input as { campaignId: string; to: string },
    });

  describe('startOutgoingInteraction (C16)', () => {
    it("C16: a member starts an interaction with a new number using a template: the number becomes a customer with that contact (E.164), the interaction is the agent's, never queued, and the template goes out through the outbox", async () => {
      const { campaign, template } = await newStubCampaign();
      const phone = customerNumber();
      const national = `+1 (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
      const result = await start(agent, {
        campaignId: campaign.id,
        to: national,
        cannedResponseId: template,
        subject: 'Your order',
      });
      expect(result.errors).toBeUndefined();
      const conversation = result.data!.startOutgoingInteraction.conversation;
      expect(conversation).toMatchObject({
        status: 'OPEN',
        direction: 'OUTGOING',
        routingReason: 'OUTGOING',
        waitingSince: null,
        replyWindowClosesAt: null,
        assignee: { id: agent.staff.id },
        customer: { name: phone },
        contact: { value: phone },
      });
      const [contact] = (await server.dataSource.query(
        `SELECT kind, value, customer_id AS "customerId" FROM contact WHERE value = $1 AND organization_id = $2`,
        [phone, org.id],
      )) as Array<{ kind: string; value: string; customerId: string }>;
      expect(contact).toEqual({
        kind: ContactKind.PHONE,
        value: phone,
        customerId: conversation.customer.id,
      });
      await eventually(() => sendsTo(phone).length === 1, 10_000, 'the template sent');
      expect(sendsTo(phone)[0]).toMatchObject({
        type: 'template',
        template: { name: 'order_followup' },
      });
      const [message] = (await server.dataSource.query(
        'SELECT id, author_id AS "authorId", template_name AS "templateName" FROM message WHERE conversation_id = $1',
        [conversation.id],
      )) as Array<{ id: string; authorId: string; templateName: string }>;
      expect(message).toMatchObject({ authorId: agent.staff.id, templateName: 'order_followup' });
      await eventually(
        async () => (await deliveryOf(org, message.id)).deliveryState === 'SENT',
        10_000,
        'SENT',
      );
      const { campaignQueue } = await agent.api.ok(CampaignQueueDocument, {
        campaignId: campaign.id,
      });
      expect(campaignQueue).toEqual([]);
      // The customer answers: the message joins the interaction the agent started.
      const answer = await server.services.inbound.receive({
        providerId: campaign.providerId as string,
        providerMessageId: `wamid.answer-${phone}`,
        from: phone,
        to: stub.accountNumber,
        body: 'Thanks!',
        providerTimestamp: new Date(),
        contentType: 'text',
      });
      expect(answer.conversationId).toBe(conversation.id);
    });

    it('C16: free text is REPLY_WINDOW_CLOSED when the customer has not written within 24 hours, and nothing is written; while their window with this number is open, text goes and the interaction keeps that window', async () => {
      const { campaign } = await newStubCampaign();
      const phone = customerNumber();
      const before = await fingerprintDatabase(server.dataSource);
      const refused = await start(agent, { campaignId: campaign.id, to: phone, body: 'Hi!' });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'REPLY_WINDOW_CLOSED' });
      expect(await fingerprintDatabase(server.dataSource)).toEqual(before);

      // The customer wrote an hour ago in an earlier interaction, now closed: the window is open.
      const windowClosesAt = new Date(Date.now() + 23 * 3600_000);
      const earlier = await newCampaignInteraction(org, campaign, {
        phone,
        replyWindowClosesAt: windowClosesAt,
      });
      await org.admin.api.ok(CloseConversationDocument, {
        input: { conversationId: earlier.id },
      });
      const accepted = await start(agent, { campaignId: campaign.id, to: phone, body: 'Hi!' });
      expect(accepted.errors).toBeUndefined();
      const conversation = accepted.data!.startOutgoingInteraction.conversation;
      expect(new Date(conversation.replyWindowClosesAt as string).getTime()).toBe(
        windowClosesAt.getTime(),
      );
      expect(conversation.customer.id).toBe(earlier.customerId);
      await eventually(() => sendsTo(phone).length === 1, 10_000, 'the text sent');
      expect(sendsTo(phone)[0]).toMatchObject({ type: 'text', text: { body: 'Hi!' } });
      // Replies in it follow the same window.
      const reply = await agent.api.ok(CampaignReplyDocument, {
        input: { conversationId: conversation.id, body: 'Anything else?' },
      });
      expect(reply.sendMessage.message.deliveryState).toBe('QUEUED');
    });

    it('C16: CAPACITY_REACHED at the maximum; FORBIDDEN for a paused agent and for a non-member; CONFLICT for a number with an open interaction and for a disabled campaign; nothing written by any', async () => {
      const busy = await newAgent(org);
      const paused = await newAgent(org);
      const supervisor = await newSupervisor(org);
      const { campaign, template } = await newStubCampaign({ members: [busy, paused], max: 1 });
      const phone = customerNumber();
      const first = await start(busy, {
        campaignId: campaign.id,
        to: phone,
        cannedResponseId: template,
      });
      expect(first.errors).toBeUndefined();
      await server.services.supervision.pause(supervisor.auth, paused.staff.id, 'training');

      const counts = async () =>
        (await server.dataSource.query(
          `SELECT (SELECT count(*) FROM conversation WHERE organization_id = $1)::int AS conversations,
                  (SELECT count(*) FROM customer WHERE organization_id = $1)::int AS customers,
                  (SELECT count(*) FROM message WHERE organization_id = $1)::int AS messages`,
          [org.id],
        )) as unknown[];
      const before = await counts();
      const codeOf = async (member: Member, input: Record<string, unknown>) => {
        const result = await start(member, {
          campaignId: campaign.id,
          cannedResponseId: template,
          ...input,
        });
        return [result.errors?.[0]?.extensions?.code, result.errors?.[0]?.extensions];
      };
      expect((await codeOf(busy, { to: customerNumber() }))[0]).toBe('CAPACITY_REACHED');
      expect((await codeOf(paused, { to: customerNumber() }))[0]).toBe('FORBIDDEN');
      expect((await codeOf(supervisor, { to: customerNumber() }))[0]).toBe('FORBIDDEN');
      // An agent who is not a member does not see the campaign.
      expect((await codeOf(agent, { to: customerNumber() }))[0]).toBe('NOT_FOUND');
      await server.services.supervision.resume(supervisor.auth, paused.staff.id);
      const [code, details] = await codeOf(paused, { to: phone });
      expect(code).toBe('CONFLICT');
      expect(details).toMatchObject({
        conversationId: first.data!.startOutgoingInteraction.conversation.id,
        assigneeId: busy.staff.id,
      });
      await server.services.campaigns.update(org.admin.auth, campaign.id, { enabled: false });
      expect((await codeOf(paused, { to: customerNumber() }))[0]).toBe('CONFLICT');
      expect(await counts()).toEqual(before);
    });

    it('C16: a number that is no phone number is BAD_USER_INPUT naming `to`; text and a canned response together are BAD_USER_INPUT', async () => {
      const { campaign, template } = await newStubCampaign();
      const bad = await start(agent, {
        campaignId: campaign.id,
        to: 'call me',
        cannedResponseId: template,
      });
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
      const both = await start(agent, {
        campaignId: campaign.id,
        to: customerNumber(),
        cannedResponseId: template,
        body: 'and text',
      });
      expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    });
  });

  describe('retryMessage (C6)', () => {
    async function failedReply(options: { template?: boolean; code?: number } = {}) {
      const { campaign, template } = await newStubCampaign();
      const phone = customerNumber();
      const conversation = await newCampaignInteraction(org, campaign, { phone });
      stub.failSendsTo(phone, {
        status: 400,
        code: options.code ?? 131026,
        message: 'Message undeliverable',
      });
      const { sendMessage } = await org.admin.api.ok(CampaignReplyDocument, {
        input: options.template
          ? { conversationId: conversation.id, cannedResponseId: template }
          : { conversationId: conversation.id, body: 'Your parcel is here' },
      });
      const messageId = sendMessage.message.id;
      await eventually(
        async () => (await deliveryOf(org, messageId)).deliveryState === 'FAILED',
        10_000,
        'FAILED',
      );
      return { campaign, conversation, phone, messageId };
    }

    it('C6: FAILED is final unless an agent retries it: the same message goes back QUEUED, live, and is sent once more', async () => {
      const { campaign, phone, messageId } = await failedReply();
      await settle(300);
      expect(sendsTo(phone)).toHaveLength(1);
      stub.clearFailures();
      const console = await connect(server.wsUrl, org.admin.token);
      consoles.push(console);
      const events = subscribe(console, DeliveryEventsDocument, { inboxId: campaign.inboxId });
      await settle();

      const { retryMessage } = await org.admin.api.ok(RetryMessageDocument, {
        input: { messageId },
      });
      expect(retryMessage.message).toEqual({
        id: messageId,
        deliveryState: 'QUEUED',
        deliveryErrorCode: null,
      });
      expect((await events.nextData()).conversationEvents).toMatchObject({
        kind: 'DELIVERY',
        message: { id: messageId, deliveryState: 'QUEUED' },
      });
      expect((await events.nextData()).conversationEvents).toMatchObject({
        kind: 'DELIVERY',
        message: { id: messageId, deliveryState: 'SENT' },
      });
      expect(await deliveryOf(org, messageId)).toMatchObject({
        deliveryState: 'SENT',
        providerMessageId: expect.stringMatching(/^wamid\./),
        deliveryErrorCode: null,
        sendAttempts: 1,
      });
      expect(sendsTo(phone).map((s) => s.text?.body)).toEqual([
        'Your parcel is here',
        'Your parcel is here',
      ]);
      // Sent now: not retried again.
      const again = await org.admin.api.request(RetryMessageDocument, { input: { messageId } });
      expect(again.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        deliveryState: 'SENT',
      });
      events.close();
    });

    it('C6: a needs-template failure stays refused with REPLY_WINDOW_CLOSED once the window has closed; a template retries at any time', async () => {
      const text = await failedReply({ code: 131047 });
      stub.clearFailures();
      await server.dataSource.query(
        `UPDATE conversation SET reply_window_closes_at = now() - interval '1 minute' WHERE id = $1`,
        [text.conversation.id],
      );
      const refused = await org.admin.api.request(RetryMessageDocument, {
        input: { messageId: text.messageId },
      });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'REPLY_WINDOW_CLOSED' });
      expect(await deliveryOf(org, text.messageId)).toMatchObject({
        deliveryState: 'FAILED',
        deliveryErrorCode: '131047',
      });

      const template = await failedReply({ template: true });
      stub.clearFailures();
      await server.dataSource.query(
        `UPDATE conversation SET reply_window_closes_at = now() - interval '1 minute' WHERE id = $1`,
        [template.conversation.id],
      );
      await org.admin.api.ok(RetryMessageDocument, { input: { messageId: template.messageId } });
      await eventually(
        async () => (await deliveryOf(org, template.messageId)).deliveryState === 'SENT',
        10_000,
        'the template sent',
      );
      expect(sendsTo(template.phone).map((s) => s.type)).toEqual(['template', 'template']);
    });

    it('C6: a message of a conversation the caller does not see is NOT_FOUND; a closed conversation takes no retry (CONFLICT)', async () => {
      const { conversation, messageId } = await failedReply();
      const stranger = await newAgent(org);
      const hidden = await stranger.api.request(RetryMessageDocument, { input: { messageId } });
      expect(hidden.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', id: messageId });
      await org.admin.api.ok(CloseConversationDocument, {
        input: { conversationId: conversation.id },
      });
      const closed = await org.admin.api.request(RetryMessageDocument, { input: { messageId } });
      expect(closed.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'CLOSED' });
      expect((await deliveryOf(org, messageId)).deliveryState).toBe('FAILED');
    });
  });
});
