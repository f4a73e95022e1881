import {
  AddHelperDocument,
  CustomerHelpersDocument,
  EndHelperDocument,
  HelperChangesDocument,
  NotificationsDocument,
  type NotificationsSubscription,
  PostCustomerMessageDocument,
  SendMessageDocument,
  StartConversationDocument,
} from '../generated/graphql';
import { Streams } from '../../src/subscriptions/topics';
import {
  eventually,
  newAgent,
  newCustomer,
  newOrg,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { GraphQLClient } from '../support/client';
import { createTestDatabase } from '../support/database';
import { connect, type Console, subscribe, type Subscription } from '../support/ws';

describe('helpers, live', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  async function notificationsOf(member: Member, after?: number) {
    const socket = await connect(server.wsUrl, member.token);
    const subscription = subscribe(socket, NotificationsDocument, { after });
    const stream = Streams.staffNotifications(org.id, member.staff.id);
    await eventually(
      () => server.hub.liveSubscribers(stream) >= 1,
      5000,
      'a live notification stream',
    );
    return { socket, subscription };
  }

  const next = async (subscription: Subscription<NotificationsSubscription>) =>
    (await subscription.nextData()).notifications;

  it("H9: a customer's helpers are told when any of its contacts starts a conversation or sends a message", async () => {
    const [helper, bystander] = await Promise.all([newAgent(org), newAgent(org)]);
    const customer = await newCustomer(org, {
      name: 'Nora',
      phone: '+14155550155',
      email: 'nora@example.com',
    });
    await helper.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: helper.staff.id },
    });
    const helped = await notificationsOf(helper);
    const notHelped = await notificationsOf(bystander);

    const { startConversation } = await org.admin.api.ok(StartConversationDocument, {
      input: { customerId: customer.id, channel: 'SMS', body: 'Hi, it is Nora' },
    });
    const started = await next(helped.subscription);
    expect(started).toMatchObject({
      kind: 'CONVERSATION_STARTED',
      customer: { id: customer.id, name: 'Nora' },
      conversation: { id: startConversation.conversation.id, channel: 'SMS' },
      message: { body: 'Hi, it is Nora' },
    });
    await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: startConversation.conversation.id, body: 'Anyone?' },
    });
    expect(await next(helped.subscription)).toMatchObject({
      kind: 'CUSTOMER_MESSAGE',
      message: { body: 'Anyone?' },
    });
    // Staff replies are not the customer writing.
    await helper.api.ok(SendMessageDocument, {
      input: { conversationId: startConversation.conversation.id, body: 'Yes!' },
    });
    await helped.subscription.expectSilence(300);
    await notHelped.subscription.expectSilence(100);
  });

  it('H9: a reconnecting console resumes from its cursor and gets exactly what it missed, once', async () => {
    const helper = await newAgent(org);
    const customer = await newCustomer(org);
    await helper.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: helper.staff.id },
    });
    const first = await notificationsOf(helper);
    const { startConversation } = await org.admin.api.ok(StartConversationDocument, {
      input: { customerId: customer.id, channel: 'CHAT', body: 'one' },
    });
    const seen = await next(first.subscription);
    await first.socket.dispose(); // offline
    for (const body of ['two', 'three']) {
      await org.admin.api.ok(PostCustomerMessageDocument, {
        input: { conversationId: startConversation.conversation.id, body },
      });
    }
    const again = await notificationsOf(helper, seen.seq);
    const missed = [await next(again.subscription), await next(again.subscription)];
    expect(missed.map((n) => [n.seq, n.message?.body])).toEqual([
      [seen.seq + 1, 'two'],
      [seen.seq + 2, 'three'],
    ]);
    await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: startConversation.conversation.id, body: 'four' },
    });
    expect(await next(again.subscription)).toMatchObject({
      seq: seen.seq + 3,
      message: { body: 'four' },
    });
    await again.subscription.expectSilence(300);
  });

  it("H10: helper changes are streamed to the customer's subscribers, after a snapshot", async () => {
    const [ada, bo] = await Promise.all([
      newAgent(org, { name: 'Ada' }),
      newAgent(org, { name: 'Bo' }),
    ]);
    const customer = await newCustomer(org);
    await ada.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: ada.staff.id },
    });
    const socket: Console = await connect(server.wsUrl, org.admin.token);
    const changes = subscribe(socket, HelperChangesDocument, { customerId: customer.id });
    const snapshot = (await changes.nextData()).helperChanges;
    expect(snapshot).toMatchObject({ kind: 'SNAPSHOT', assignments: [{ staff: { name: 'Ada' } }] });
    await bo.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: bo.staff.id },
    });
    await ada.api.ok(EndHelperDocument, {
      input: { customerId: customer.id, staffId: ada.staff.id },
    });
    const [added, ended] = [
      (await changes.nextData()).helperChanges,
      (await changes.nextData()).helperChanges,
    ];
    expect(added).toMatchObject({
      kind: 'ADDED',
      seq: snapshot.seq + 1,
      assignment: { staff: { name: 'Bo' } },
      actor: { name: 'Bo' },
    });
    expect(ended).toMatchObject({
      kind: 'ENDED',
      seq: snapshot.seq + 2,
      assignment: { staff: { name: 'Ada' }, endReason: 'ENDED' },
    });
  });

  it('H10: without a customer, a staff member follows whom they help', async () => {
    const agent = await newAgent(org);
    const customer = await newCustomer(org);
    const socket = await connect(server.wsUrl, agent.token);
    const changes = subscribe(socket, HelperChangesDocument, {});
    expect((await changes.nextData()).helperChanges).toMatchObject({
      kind: 'SNAPSHOT',
      assignments: [],
    });
    await org.admin.api.ok(AddHelperDocument, {
      input: { customerId: customer.id, staffId: agent.staff.id },
    });
    expect((await changes.nextData()).helperChanges).toMatchObject({
      kind: 'ADDED',
      assignment: { customer: { id: customer.id } },
    });
  });

  it('H3: an `until` that passes while the server is down ends the help when it starts again', async () => {
    const database = await createTestDatabase();
    const first = await startTestServer({ database });
    const lonely = await newOrg(first);
    const agent = await newAgent(lonely);
    const customer = await newCustomer(lonely);
    const until = new Date(Date.now() + 800);
    await first.services.helpers.add(lonely.admin.auth, customer.id, agent.staff.id, until);
    await first.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = await startTestServer({ database });
    try {
      await eventually(
        async () =>
          (
            await second.dataSource.query(
              'SELECT end_reason FROM helper_assignment WHERE customer_id = $1',
              [customer.id],
            )
          )[0].end_reason === 'EXPIRED',
        5000,
        'the restarted server to end the help',
      );
      const { customer: read } = await new GraphQLClient(second.url, lonely.admin.token).ok(
        CustomerHelpersDocument,
        { id: customer.id },
      );
      expect(read.helperCount).toBe(0);
      expect(read.helperHistory.edges[0]?.node).toMatchObject({
        endReason: 'EXPIRED',
        endedAt: until.toISOString(),
      });
    } finally {
      await second.stop();
      await database.drop();
    }
  });
});
