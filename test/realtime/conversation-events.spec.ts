import {
  AssignConversationDocument,
  ConversationEventsDocument,
  type ConversationEventsSubscription,
} from '../generated/graphql';
import { Streams } from '../../src/subscriptions/topics';
import { appendEvents } from '../../src/db/event-store';
import {
  eventually,
  newAgent,
  newConversation,
  newInbox,
  newOrg,
  type Org,
} from '../support/factories';
import { startTestServer, startTwoInstances, type TestServer } from '../support/server';
import { connect, subscribe, type Subscription } from '../support/ws';

type Event = ConversationEventsSubscription['conversationEvents'];

async function events(
  subscription: Subscription<ConversationEventsSubscription>,
  count: number,
): Promise<Event[]> {
  const received: Event[] = [];
  while (received.length < count) received.push((await subscription.nextData()).conversationEvents);
  return received;
}

/** Waits until the server has a live subscriber on the inbox's stream. */
function live(server: TestServer, org: Org, inboxId: string, count = 1): Promise<void> {
  const stream = Streams.inboxConversations(org.id, inboxId);
  return eventually(() => server.hub.liveSubscribers(stream) >= count, 5000, 'a live subscriber');
}

describe('conversationEvents(inboxId)', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('streams what happens to the conversations of the inbox, each with seq, actor and at', async () => {
    const inbox = await newInbox(org);
    const agent = await newAgent(org, { inboxes: [inbox] });
    const window = await connect(server.wsUrl, agent.token);
    const subscription = subscribe(window, ConversationEventsDocument, { inboxId: inbox.id });
    await live(server, org, inbox.id);

    const conversation = await newConversation(org, { inbox, body: 'Hi' });
    await agent.api.ok(AssignConversationDocument, {
      input: { conversationId: conversation.id, staffId: agent.staff.id },
    });
    await server.services.conversations.close(agent.auth, conversation.id);
    await server.services.conversations.archive(agent.auth, conversation.id);
    await server.services.conversations.delete(org.admin.auth, conversation.id);

    // Nobody of the inbox is online: the new conversation waits in the queue (R9).
    const received = await events(subscription, 7);
    expect(received.map((e) => e.kind)).toEqual([
      'CREATED',
      'MESSAGE',
      'QUEUED',
      'ASSIGNED',
      'CLOSED',
      'ARCHIVED',
      'DELETED',
    ]);
    expect(received.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(received[1]?.message?.body).toBe('Hi');
    expect(received[3]).toMatchObject({
      actor: { kind: 'STAFF', staff: { id: agent.staff.id } },
      conversation: { id: conversation.id, assignee: { id: agent.staff.id } },
    });
    expect(received[4]?.conversation.status).toBe('CLOSED');
    for (const event of received) expect(Date.parse(event.at)).not.toBeNaN();
    subscription.close();
    await window.dispose();
  });

  it('resumes from a cursor: replays what the client missed, then goes live, with no gap or duplicate', async () => {
    const inbox = await newInbox(org);
    const first = await newConversation(org, { inbox }); // seq 1 CREATED, 2 QUEUED
    await server.services.conversations.close(org.admin.auth, first.id); // seq 3
    const window = await connect(server.wsUrl, org.admin.token);
    const subscription = subscribe(window, ConversationEventsDocument, {
      inboxId: inbox.id,
      after: 1,
    });
    await live(server, org, inbox.id);
    await newConversation(org, { inbox }); // seq 4 CREATED, 5 QUEUED
    const received = await events(subscription, 4);
    expect(received.map((e) => [e.seq, e.kind])).toEqual([
      [2, 'QUEUED'],
      [3, 'CLOSED'],
      [4, 'CREATED'],
      [5, 'QUEUED'],
    ]);
    await subscription.expectSilence(200);
    await window.dispose();
  });

  it('puts events in seq order and fills a gap from the log when the PubSub delivers out of order', async () => {
    const inbox = await newInbox(org);
    const window = await connect(server.wsUrl, org.admin.token);
    const subscription = subscribe(window, ConversationEventsDocument, { inboxId: inbox.id });
    await live(server, org, inbox.id);
    // Two committed events published in the wrong order, as two instances racing through Redis can.
    const conversation = await newConversation(org, { inbox }); // seq 1 and 2, published normally
    await events(subscription, 2);
    const stream = Streams.inboxConversations(org.id, inbox.id);
    const payload = (kind: string) => ({
      kind,
      actor: { kind: 'SYSTEM', id: null, name: 'test' },
      conversation: {
        ...conversation,
        createdAt: conversation.createdAt.toISOString(),
        updatedAt: conversation.updatedAt.toISOString(),
      },
    });
    const [second, third] = await server.dataSource.transaction((manager) =>
      appendEvents(manager, [
        { stream, org: org.id, payload: payload('CLOSED') },
        { stream, org: org.id, payload: payload('REOPENED') },
      ]),
    );
    await server.pubsub.publish(stream, third);
    const received = await events(subscription, 2);
    expect(received.map((e) => [e.seq, e.kind])).toEqual([
      [3, 'CLOSED'],
      [4, 'REOPENED'],
    ]);
    await server.pubsub.publish(stream, second); // arrives late: already delivered, dropped
    await subscription.expectSilence(200);
    await window.dispose();
  });

  it('refuses an inbox the agent is not a member of, and another organization’s inbox, as NOT_FOUND', async () => {
    const inbox = await newInbox(org);
    const outsider = await newAgent(org, { inboxes: [] });
    const other = await newOrg(server);
    const window = await connect(server.wsUrl, outsider.token);
    for (const inboxId of [inbox.id, other.inbox.id]) {
      const subscription = subscribe(window, ConversationEventsDocument, { inboxId });
      const result = await subscription.next();
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    await window.dispose();
  });
});

describe('conversationEvents across two server instances', () => {
  it('delivers to a subscriber on instance B an event caused by a mutation on instance A (through Redis)', async () => {
    const { a, b, stop } = await startTwoInstances();
    try {
      const org = await newOrg(a);
      const agent = await newAgent(org);
      const window = await connect(b.wsUrl, agent.token);
      const subscription = subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id });
      await live(b, org, org.inbox.id);
      const conversation = await newConversation(org); // through instance A's services
      await agent.api.ok(AssignConversationDocument, {
        input: { conversationId: conversation.id, staffId: agent.staff.id },
      }); // through A's HTTP endpoint
      const received = await events(subscription, 3);
      expect(received.map((e) => [e.seq, e.kind])).toEqual([
        [1, 'CREATED'],
        [2, 'QUEUED'],
        [3, 'ASSIGNED'],
      ]);
      expect(agent.api.url).toBe(a.url);
      await window.dispose();
    } finally {
      await stop();
    }
  });
});
