import { actorOf } from '../../src/context/auth';
import { Streams } from '../../src/subscriptions/topics';
import { GuardedCloseDocument, TicketLocksDocument } from '../generated/graphql';
import { newAgent, newConversation, newInbox, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { openWindow, watchLocks, type Window } from '../support/windows';

/**
 * A lock operation commits its change and its events unnumbered; the events are numbered just
 * after (tandem_append_pending, then the sequencer: src/db/event-log.sql). These tests stop in
 * between, as an instance that dies after a commit would: the operation's SQL function is run on
 * its own, its events left for whoever comes next.
 */
describe('lock events numbered after their operation commits', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer({ config: { lockTtlSeconds: 2 } });
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  /** Opens the ticket for the window in Postgres only: committed, its LOCKED event unnumbered. */
  async function openUnnumbered(window: Window, conversationId: string): Promise<void> {
    const member = window.member;
    await server.dataSource.query('SELECT tandem_open_ticket($1, $2, $3, $4, $5, $6, $7)', [
      org.id,
      conversationId,
      window.sessionId,
      member.staff.id,
      false,
      '2 seconds',
      actorOf(member.auth),
    ]);
  }

  async function numbered(inboxId: string): Promise<Array<{ seq: number; kind: string }>> {
    const rows: Array<{ seq: string; kind: string }> = await server.dataSource.query(
      `SELECT seq, payload ->> 'kind' AS kind FROM event_log WHERE stream = $1 ORDER BY seq`,
      [Streams.inboxLocks(org.id, inboxId)],
    );
    return rows.map((row) => ({ seq: Number(row.seq), kind: row.kind }));
  }

  async function inboxWithAgent() {
    const inbox = await newInbox(org);
    const agent = await newAgent(org, { name: 'Bianca', inboxes: [inbox] });
    const window = await openWindow(server, agent);
    return { inbox, agent, window };
  }

  it('L7: a snapshot taken while a lock waits to have its event numbered shows the lock, and the event never comes after it', async () => {
    const { inbox, window } = await inboxWithAgent();
    const ticket = await newConversation(org, { inbox });
    await openUnnumbered(window, ticket.id);

    const late = await openWindow(server, await newAgent(org, { inboxes: [inbox] }));
    const watch = await watchLocks(late, inbox.id);

    expect(watch.snapshot.locks?.map((lock) => lock.conversationId)).toEqual([ticket.id]);
    expect(await numbered(inbox.id)).toEqual([{ seq: 1, kind: 'LOCKED' }]);
    expect(watch.snapshot.seq).toBe(1);
    await window.api.ok(GuardedCloseDocument, { input: { conversationId: ticket.id } });
    expect(await watch.next()).toMatchObject({ kind: 'MOVED', seq: 2 });
  });

  it('L6: a ticket moved right after it was locked is told in that order, whoever numbers the lock', async () => {
    const { inbox, window } = await inboxWithAgent();
    const watcher = await openWindow(server, await newAgent(org, { inboxes: [inbox] }));
    const watch = await watchLocks(watcher, inbox.id);
    const ticket = await newConversation(org, { inbox });
    await openUnnumbered(window, ticket.id);

    // The close waits for nobody: its own append numbers the LOCKED event first.
    await window.api.ok(GuardedCloseDocument, { input: { conversationId: ticket.id } });

    expect(await watch.next()).toMatchObject({ kind: 'LOCKED', seq: watch.snapshot.seq + 1 });
    expect(await watch.next()).toMatchObject({ kind: 'MOVED', seq: watch.snapshot.seq + 2 });
    expect(await numbered(inbox.id)).toEqual([
      { seq: 1, kind: 'LOCKED' },
      { seq: 2, kind: 'MOVED' },
    ]);
  });

  it('L4: lock events an instance committed but never numbered are numbered and published by the sweeper', async () => {
    const { inbox, window } = await inboxWithAgent();
    const watcher = await openWindow(server, await newAgent(org, { inboxes: [inbox] }));
    const watch = await watchLocks(watcher, inbox.id);
    const ticket = await newConversation(org, { inbox });
    await openUnnumbered(window, ticket.id);

    const event = await watch.next(5000);
    expect(event).toMatchObject({ kind: 'LOCKED', seq: watch.snapshot.seq + 1 });
    expect(event.lock?.conversationId).toBe(ticket.id);
    const { ticketLocks } = await watcher.api.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(ticketLocks.map((lock) => lock.conversationId)).toEqual([ticket.id]);
  });
});
