import {
  ConversationEventsDocument,
  type ConversationEventsSubscription,
  PostCustomerMessageDocument,
  SignOutDocument,
  StartConversationDocument,
} from '../generated/graphql';
import { startServerProcess, type ServerProcess } from '../support/child-process';
import { GraphQLClient } from '../support/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, newAgent, newCustomer, newOrg, signIn, type Org } from '../support/factories';
import { RedisServer } from '../support/redis-server';
import { startTestServer, type TestServer } from '../support/server';
import { connect, type Console, subscribe, type Subscription } from '../support/ws';
import { Streams } from '../../src/subscriptions/topics';

type Event = ConversationEventsSubscription['conversationEvents'];

async function readiness(server: ServerProcess): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const response = await fetch(server.url.replace(/\/graphql$/, '/readyz'));
  return { status: response.status, ms: Date.now() - started };
}

/** Runs a request and answers how long it took. */
async function timed<T>(request: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await request();
  return { result, ms: Date.now() - started };
}

/** Every event up to `lastSeq`, in the order received. */
async function eventsUpTo(
  subscription: Subscription<ConversationEventsSubscription>,
  lastSeq: number,
  received: Event[],
): Promise<Event[]> {
  while ((received[received.length - 1]?.seq ?? 0) < lastSeq) {
    received.push((await subscription.nextData(10_000)).conversationEvents);
  }
  return received;
}

describe('Redis killed and restarted under two server instances', () => {
  let redis: RedisServer;
  let database: TestDatabase;
  let seeder: TestServer;
  let a: ServerProcess;
  let b: ServerProcess;
  let org: Org;

  beforeAll(async () => {
    [redis, database] = await Promise.all([RedisServer.start(), createTestDatabase()]);
    seeder = await startTestServer({ database, pubsub: 'in-process' });
    org = await newOrg(seeder);
    const env = { DATABASE_URL: database.url, REDIS_URL: redis.url };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.process.kill(), b?.process.kill()]);
    await seeder?.stop();
    await redis?.kill();
    await database?.drop();
  });

  it('answers mutations during the outage, says so on /readyz within 1 s, and resynchronizes subscriptions on both instances with no gap and no duplicate', async () => {
    const agent = await newAgent(org);
    const customer = await newCustomer(org);
    const viaA = new GraphQLClient(a.url, org.admin.token);
    const viaB = new GraphQLClient(b.url, org.admin.token);
    const watchers: Console[] = [
      await connect(a.wsUrl, agent.token),
      await connect(b.wsUrl, agent.token),
    ];
    const subscriptions = watchers.map((watcher) =>
      subscribe(watcher, ConversationEventsDocument, { inboxId: org.inbox.id }),
    );
    const received: Event[][] = [[], []];

    // Before: an event made on A reaches the watchers of both instances through Redis.
    const { startConversation } = await viaA.ok(StartConversationDocument, {
      input: { customerId: customer.id, channel: 'CHAT', body: 'before the outage' },
    });
    const conversationId = startConversation.conversation.id;
    const stream = Streams.inboxConversations(org.id, org.inbox.id);
    const lastSeq = async () =>
      Number(
        (
          await seeder.dataSource.query('SELECT last_seq FROM stream_seq WHERE stream = $1', [
            stream,
          ])
        )[0].last_seq,
      );
    const before = await lastSeq();
    await Promise.all(subscriptions.map((s, i) => eventsUpTo(s, before, received[i]!)));

    const session = await signIn(seeder, agent.staff.email);
    await redis.kill();
    for (const instance of [a, b]) {
      await eventually(async () => (await readiness(instance)).status === 503, 5000, '503');
      expect((await readiness(instance)).ms).toBeLessThan(1000);
    }

    // During: mutations on both instances are answered at once (Postgres has them).
    const during = [
      await timed(() =>
        viaB.ok(PostCustomerMessageDocument, {
          input: { conversationId, body: 'during the outage, through B' },
        }),
      ),
      await timed(() =>
        viaA.ok(StartConversationDocument, {
          input: { customerId: customer.id, channel: 'SMS', body: 'during, through A' },
        }),
      ),
      await timed(() =>
        viaA.ok(PostCustomerMessageDocument, {
          input: { conversationId, body: 'during the outage, through A' },
        }),
      ),
      await timed(() => new GraphQLClient(b.url, session.token).ok(SignOutDocument)),
    ];
    // Before, each of them waited for Redis (10-17 s); the bound leaves room for a busy machine.
    for (const { ms } of during) expect(ms).toBeLessThan(2000);
    const duringOutage = await lastSeq();
    expect(duringOutage).toBeGreaterThan(before);

    await redis.restart();
    for (const instance of [a, b]) {
      await eventually(async () => (await readiness(instance)).status === 200, 10_000, 'ready');
    }
    // After: what was published during the outage is lost, and read from the event log instead.
    await Promise.all(subscriptions.map((s, i) => eventsUpTo(s, duringOutage, received[i]!)));
    await viaB.ok(PostCustomerMessageDocument, {
      input: { conversationId, body: 'after the outage, through B' },
    });
    const after = await lastSeq();
    await Promise.all(subscriptions.map((s, i) => eventsUpTo(s, after, received[i]!)));
    for (const events of received) {
      expect(events.map((event) => event.seq)).toEqual(
        Array.from({ length: after }, (_, i) => i + 1),
      );
      expect(events.filter((e) => e.kind === 'MESSAGE').map((e) => e.message?.body)).toEqual([
        'before the outage',
        'during the outage, through B',
        'during, through A',
        'during the outage, through A',
        'after the outage, through B',
      ]);
    }
    for (const subscription of subscriptions) await subscription.expectSilence(300);
    await Promise.all(watchers.map((watcher) => watcher.dispose()));
  }, 60_000);
});
