import { once } from 'node:events';
import type { Socket } from 'node:net';
import { print } from 'graphql';
import WebSocket from 'ws';
import { ConversationEventsDocument, MeDocument } from '../generated/graphql';
import { startServerProcess } from '../support/child-process';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  eventually,
  newAgent,
  newConversation,
  newInbox,
  newOrg,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { connect, subscribe } from '../support/ws';
import type { Inbox } from '../../src/entities/inbox.entity';
import { Streams } from '../../src/subscriptions/topics';

const MESSAGES = 150;
const BODY = 'x'.repeat(10_000);
const EVENTS_QUERY = print(ConversationEventsDocument);

/** A graphql-ws client by hand, so that a test can make it stop reading. */
async function rawSocket(wsUrl: string, token: string): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  await once(socket, 'open');
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
  );
  await once(socket, 'message'); // connection_ack
  return socket;
}

/** The client keeps its socket open and keeps writing, but reads nothing more. */
function stopReading(socket: WebSocket): void {
  (socket as unknown as { _socket: Socket })._socket.pause();
}

function subscribeAfterZero(socket: WebSocket, times: number, inboxId: string): void {
  for (let i = 0; i < times; i++) {
    socket.send(
      JSON.stringify({
        id: `s${i}`,
        type: 'subscribe',
        payload: { query: EVENTS_QUERY, variables: { inboxId, after: 0 } },
      }),
    );
  }
}

describe('sockets are bounded', () => {
  let database: TestDatabase;
  let server: TestServer;
  let org: Org;
  let member: Member;
  /** An inbox with 150 messages of 10 KB (the history of finding 3). */
  let inbox: Inbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startTestServer({
      database,
      pubsub: 'in-process',
      config: { maxSocketBufferBytes: 64 * 1024 },
    });
    org = await newOrg(server);
    inbox = await newInbox(org);
    member = await newAgent(org, { inboxes: [inbox] });
    const conversation = await newConversation(org, { inbox });
    for (let i = 0; i < MESSAGES; i++) {
      await server.services.messages.postCustomerMessage(org.admin.auth, conversation.id, BODY);
    }
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    await database.drop();
  });

  it('a member who stops reading and subscribes 200 times with after: 0 to an inbox of 150 messages of 10 KB grows the server heap by less than 40 MB', async () => {
    // Before replays were paged this pinned ~330 MB; the cap is raised to 200 here so that
    // every replay is admitted and the bound is the paging's alone.
    const child = await startServerProcess(
      { DATABASE_URL: database.url, MAX_SUBSCRIPTIONS_PER_SOCKET: '200' },
      { ipc: true },
    );
    try {
      const heap = async () => {
        const usage = await child.process.ask<NodeJS.MemoryUsage>('heap');
        return usage.heapUsed + usage.external;
      };
      const attacker = await rawSocket(child.wsUrl, member.token);
      const before = await heap();
      stopReading(attacker);
      subscribeAfterZero(attacker, 200, inbox.id);
      // Long enough for every replay to start and stall on the unread socket, well before
      // the keep-alive (12 s) would end it.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const grown = (await heap()) - before;
      expect(grown).toBeLessThan(40 * 1024 * 1024);
      attacker.terminate();
    } finally {
      await child.process.kill();
    }
  }, 60_000);

  it('cuts off a client that leaves more than MAX_SOCKET_BUFFER_BYTES unread, long before the keep-alive', async () => {
    const attacker = await rawSocket(server.wsUrl, member.token);
    await eventually(() => server.sessions.size === 1, 5000, 'the window');
    stopReading(attacker);
    subscribeAfterZero(attacker, 50, inbox.id);
    await eventually(() => server.sessions.size === 0, 8000, 'the slow consumer cut off');
    attacker.terminate();
  }, 20_000);
});

describe('subscriptions per socket', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer({
      pubsub: 'in-process',
      config: { maxSubscriptionsPerSocket: 3, subscribeRatePerSocket: 1 },
    });
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('refuses a subscription over MAX_SUBSCRIPTIONS_PER_SOCKET with RATE_LIMITED on that operation; the socket and its other subscriptions stay up', async () => {
    const window = await connect(server.wsUrl, org.admin.token);
    const held = [1, 2, 3].map(() =>
      subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id }),
    );
    const refused = subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id });
    const error = (await refused.next()).errors?.[0] as {
      message: string;
      extensions?: Record<string, unknown>;
    };
    expect(error.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'maxSubscriptionsPerSocket',
      max: 3,
    });
    expect(error.message).toMatch(/already holds 3 subscriptions/);
    // The others still receive events, and the socket still answers.
    await newConversation(org);
    for (const subscription of held) {
      expect((await subscription.nextData()).conversationEvents.kind).toBe('CREATED');
    }
    const me = await new Promise((resolve, reject) =>
      window.client.subscribe(
        { query: print(MeDocument) },
        { next: resolve, error: reject, complete: () => undefined },
      ),
    );
    expect(me).toMatchObject({ data: { me: { id: org.admin.staff.id } } });
    // Completing one makes room (once the rate allows: 1 a second here).
    held[0]!.close();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id });
    await newConversation(org);
    expect((await again.nextData()).conversationEvents.kind).toBe('CREATED');
    await window.dispose();
  });

  it('refuses subscriptions started faster than SUBSCRIBE_RATE_PER_SOCKET with RATE_LIMITED and retryAfterSeconds, without closing the socket', async () => {
    const window = await connect(server.wsUrl, org.admin.token);
    // The burst (3, as many as the cap) is spent by subscribing and completing.
    const stream = Streams.inboxConversations(org.id, org.inbox.id);
    const spent = [1, 2, 3].map(() =>
      subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id }),
    );
    await eventually(() => server.hub.liveSubscribers(stream) === 3, 5000, 'three subscribers');
    for (const subscription of spent) subscription.close();
    await eventually(() => server.hub.liveSubscribers(stream) === 0, 5000, 'none left');
    const refused = subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id });
    const error = (await refused.next()).errors?.[0];
    expect(error?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'subscribeRatePerSocket',
      retryAfterSeconds: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id });
    await newConversation(org);
    expect((await later.nextData()).conversationEvents.kind).toBe('CREATED');
    await window.dispose();
  });

  it('closes a socket that keeps subscribing after 100 refusals in a minute with 1008', async () => {
    const window = await connect(server.wsUrl, org.admin.token);
    for (let i = 0; i < 110; i++) {
      subscribe(window, ConversationEventsDocument, { inboxId: org.inbox.id });
    }
    expect((await window.closed).code).toBe(1008);
  });
});
