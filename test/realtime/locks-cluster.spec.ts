import {
  OpenTicketDocument,
  ReleaseTicketDocument,
  TicketLocksDocument,
} from '../generated/graphql';
import { childEnv, fromSource, NodeProcess } from '../support/child-process';
import { testRedisUrl } from '../support/env';
import { newAgent, newConversation, newInbox, newOrg, type Org } from '../support/factories';
import { startTwoInstances, type TestServer } from '../support/server';
import { openWindow, watchLocks, type Window } from '../support/windows';
import { connect } from '../support/ws';
import { GraphQLClient } from '../support/client';

describe('co-working locks across server instances', () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;
  let org: Org;

  beforeAll(async () => {
    ({ a, b, stop } = await startTwoInstances({ lockTtlSeconds: 2 }));
    org = await newOrg(a);
  });
  afterAll(() => stop());

  it('L9: of two windows on different instances racing for one ticket, exactly one holds it, 50 rounds out of 50', async () => {
    const inbox = await newInbox(org);
    const [bianca, hanna] = await Promise.all([
      newAgent(org, { name: 'Bianca', inboxes: [inbox] }),
      newAgent(org, { name: 'Hanna', inboxes: [inbox] }),
    ]);
    const onA = await openWindow(a, bianca);
    const onB = await openWindow(b, hanna);
    onB.api = new GraphQLClient(b.url, hanna.token, { 'x-client-session': onB.sessionId });
    const tickets = [];
    for (let round = 0; round < 50; round++) tickets.push(await newConversation(org, { inbox }));

    for (const ticket of tickets) {
      const input = { input: { conversationId: ticket.id } };
      const [fromA, fromB] = await Promise.all([
        onA.api.ok(OpenTicketDocument, input),
        onB.api.ok(OpenTicketDocument, input),
      ]);
      const results = [fromA.openTicket, fromB.openTicket];
      const winners = results.filter((r) => r.__typename === 'TicketLockAcquired');
      const losers = results.filter((r) => r.__typename === 'TicketLockedByOther');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      // The loser is told who holds it: the winner's window.
      expect(losers[0]!.lock.sessionId).toBe(winners[0]!.lock.sessionId);
    }
    const [{ held }] = await a.dataSource.query(
      'SELECT count(*)::int AS held FROM ticket_lock WHERE inbox_id = $1 AND session_id IS NOT NULL',
      [inbox.id],
    );
    expect(held).toBeLessThanOrEqual(2); // each window keeps only its last ticket (L2)
  });

  it('L7: a watcher on instance B sees the locks taken on instance A in seq order, with no gaps', async () => {
    const inbox = await newInbox(org);
    const [bianca, hanna] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
    ]);
    const watcher = await openWindow(b, hanna);
    const watch = await watchLocks(watcher, inbox.id);
    const worker = await openWindow(a, bianca);
    const tickets = await Promise.all([1, 2, 3, 4, 5].map(() => newConversation(org, { inbox })));
    for (const ticket of tickets) {
      await worker.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    }
    await worker.api.ok(ReleaseTicketDocument, { input: { conversationId: tickets[4]!.id } });

    // LOCKED, then (RELEASED, LOCKED) for each switch, then the explicit RELEASED.
    const expected = 1 + 2 * (tickets.length - 1) + 1;
    const events = [];
    for (let i = 0; i < expected; i++) events.push(await watch.next());
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => watch.snapshot.seq + 1 + i));
    expect(events.map((e) => e.kind)).toEqual([
      'LOCKED',
      ...tickets.slice(1).flatMap(() => ['RELEASED', 'LOCKED']),
      'RELEASED',
    ]);
    await watch.subscription.expectSilence(300);
  });

  it("L4: an instance stopped hard loses its windows' locks within the TTL, and watchers elsewhere get RELEASED", async () => {
    const inbox = await newInbox(org);
    const [bianca, hanna] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
    ]);
    const doomed = new NodeProcess(
      fromSource('test/support/server-process.ts'),
      childEnv({
        DATABASE_URL: a.database.url,
        REDIS_URL: testRedisUrl(),
        PORT: '0',
        HOST: '127.0.0.1',
        LOCK_TTL_SECONDS: '2',
        LOG_LEVEL: 'error',
      }),
    );
    try {
      const [line] = await doomed.waitForOutput(/\{"url".*\}/, 30_000);
      const { url, wsUrl } = JSON.parse(line) as { url: string; wsUrl: string };
      const socket = await connect(wsUrl, bianca.token);
      const window: Window = {
        member: bianca,
        socket,
        sessionId: socket.sessionId,
        api: new GraphQLClient(url, bianca.token, { 'x-client-session': socket.sessionId }),
      };
      const watch = await watchLocks(await openWindow(a, hanna), inbox.id);
      const ticket = await newConversation(org, { inbox });
      await window.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
      expect(await watch.next()).toMatchObject({ kind: 'LOCKED', conversationId: ticket.id });

      const killedAt = Date.now();
      doomed.child.kill('SIGKILL'); // no drain, no goodbye: its sockets and touches just stop
      const released = await watch.next(10_000);
      expect(released).toMatchObject({
        kind: 'RELEASED',
        conversationId: ticket.id,
        actor: { kind: 'SYSTEM' },
      });
      expect(Date.now() - killedAt).toBeLessThanOrEqual(2000 + 1000);
      const { ticketLocks } = await hanna.api.ok(TicketLocksDocument, { inboxId: inbox.id });
      expect(ticketLocks).toEqual([]);
    } finally {
      doomed.child.kill('SIGKILL');
      await doomed.exited;
    }
  }, 60_000);

  // Last: it stops instance B.
  it('L3: an instance shutting down ends its windows at once: watchers elsewhere get RELEASED without waiting for the TTL', async () => {
    const inbox = await newInbox(org);
    const [bianca, hanna] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
    ]);
    const leaving = await openWindow(b, bianca);
    const watch = await watchLocks(await openWindow(a, hanna), inbox.id);
    const ticket = await newConversation(org, { inbox });
    await leaving.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    expect(await watch.next()).toMatchObject({ kind: 'LOCKED', conversationId: ticket.id });

    await b.stop();
    // Told by the instance itself, not found dead by a sweeper: a TTL sweep says "the holder went away".
    expect(await watch.next(1500)).toMatchObject({
      kind: 'RELEASED',
      conversationId: ticket.id,
      actor: { kind: 'SYSTEM' },
      note: 'the server shut down',
    });
    const [{ revoked }] = await a.dataSource.query(
      'SELECT revoked_at IS NOT NULL AS revoked FROM client_session WHERE id = $1',
      [leaving.sessionId],
    );
    expect(revoked).toBe(true);
  });
});
