import {
  ArchiveConversationDocument,
  DeleteConversationDocument,
  EnterInboxDocument,
  ForceReleaseTicketDocument,
  GuardedAssignDocument,
  GuardedCloseDocument,
  GuardedSendMessageDocument,
  HeartbeatDocument,
  LeaveInboxDocument,
  MeDocument,
  OpenTicketDocument,
  PostCustomerMessageDocument,
  ReleaseTicketDocument,
  SignOutDocument,
  TicketLockEventsDocument,
  TicketLocksDocument,
} from '../generated/graphql';
import {
  newAgent,
  newConversation,
  newInbox,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { openWindow, watchLocks, type Window } from '../support/windows';
import { subscribe } from '../support/ws';

describe('co-working ticket locks', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer({ config: { lockTtlSeconds: 2 } });
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  /** An inbox with two agents (Bianca, Hanna), each with a window watching the inbox's locks. */
  async function team() {
    const inbox = await newInbox(org);
    const [bianca, hanna] = await Promise.all([
      newAgent(org, { name: 'Bianca', inboxes: [inbox] }),
      newAgent(org, { name: 'Hanna', inboxes: [inbox] }),
    ]);
    const [biancaWindow, hannaWindow] = await Promise.all([
      openWindow(server, bianca),
      openWindow(server, hanna),
    ]);
    const [biancaWatch, hannaWatch] = await Promise.all([
      watchLocks(biancaWindow, inbox.id),
      watchLocks(hannaWindow, inbox.id),
    ]);
    return { inbox, bianca, hanna, biancaWindow, hannaWindow, biancaWatch, hannaWatch };
  }

  async function open(window: Window, conversationId: string) {
    return (await window.api.ok(OpenTicketDocument, { input: { conversationId } })).openTicket;
  }

  it('L1: opening a ticket locks it for that window, and every other window of the inbox sees who holds it', async () => {
    const { inbox, biancaWindow, hannaWatch, bianca } = await team();
    const ticket = await newConversation(org, { inbox });
    const result = await open(biancaWindow, ticket.id);
    expect(result.__typename).toBe('TicketLockAcquired');
    expect(result.lock).toMatchObject({
      conversationId: ticket.id,
      inboxId: inbox.id,
      sessionId: biancaWindow.sessionId,
      holder: { id: bianca.staff.id, name: 'Bianca' },
    });
    const seen = await hannaWatch.next();
    expect(seen).toMatchObject({
      kind: 'LOCKED',
      conversationId: ticket.id,
      seq: hannaWatch.snapshot.seq + 1,
      lock: { holder: { name: 'Bianca' }, sessionId: biancaWindow.sessionId },
      actor: { kind: 'STAFF', staff: { id: bianca.staff.id } },
    });
  });

  it('L1: a second window opening a held ticket is told who holds it, and gets no lock', async () => {
    const { inbox, biancaWindow, hannaWindow } = await team();
    const ticket = await newConversation(org, { inbox });
    await open(biancaWindow, ticket.id);
    const second = await open(hannaWindow, ticket.id);
    expect(second).toMatchObject({
      __typename: 'TicketLockedByOther',
      lock: { holder: { name: 'Bianca' }, sessionId: biancaWindow.sessionId },
    });
  });

  it('L2: opening another ticket releases the previous one', async () => {
    const { inbox, biancaWindow, hannaWatch } = await team();
    const [first, second] = await Promise.all([
      newConversation(org, { inbox }),
      newConversation(org, { inbox }),
    ]);
    await open(biancaWindow, first.id);
    await hannaWatch.next();
    await open(biancaWindow, second.id);
    const [released, locked] = [await hannaWatch.next(), await hannaWatch.next()];
    expect(released).toMatchObject({
      kind: 'RELEASED',
      conversationId: first.id,
      note: 'opened another ticket',
    });
    expect(locked).toMatchObject({ kind: 'LOCKED', conversationId: second.id });
    const { ticketLocks } = await biancaWindow.api.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(ticketLocks.map((l) => l.conversationId)).toEqual([second.id]);
  });

  it('L2: two clicks at once still leave the window with a single ticket', async () => {
    const { inbox, biancaWindow } = await team();
    const tickets = await Promise.all([1, 2, 3, 4].map(() => newConversation(org, { inbox })));
    await Promise.all(tickets.map((t) => open(biancaWindow, t.id)));
    const [{ count }] = await server.dataSource.query(
      'SELECT count(*)::int AS count FROM ticket_lock WHERE session_id = $1',
      [biancaWindow.sessionId],
    );
    expect(count).toBe(1);
  });

  it('L3: closing the WebSocket releases its lock, and the others are told', async () => {
    const { inbox, biancaWindow, hannaWatch } = await team();
    const ticket = await newConversation(org, { inbox });
    await open(biancaWindow, ticket.id);
    await hannaWatch.next();
    biancaWindow.socket.terminate(); // dropped, as a closed browser tab
    const released = await hannaWatch.next();
    expect(released).toMatchObject({
      kind: 'RELEASED',
      conversationId: ticket.id,
      note: 'window closed',
    });
  });

  it('L3: leaving the inbox, or entering another one, releases the lock', async () => {
    const { inbox, biancaWindow, hannaWatch } = await team();
    const other = await newInbox(org);
    await server.services.inboxes.setMembers(org.admin.auth, other.id, [
      biancaWindow.member.staff.id,
    ]);
    const [first, second] = await Promise.all([
      newConversation(org, { inbox }),
      newConversation(org, { inbox }),
    ]);

    await open(biancaWindow, first.id);
    await hannaWatch.next();
    await biancaWindow.api.ok(LeaveInboxDocument);
    expect(await hannaWatch.next()).toMatchObject({
      kind: 'RELEASED',
      conversationId: first.id,
      note: 'left the inbox',
    });

    await open(biancaWindow, second.id);
    await hannaWatch.next();
    await biancaWindow.api.ok(EnterInboxDocument, { input: { inboxId: other.id } });
    expect(await hannaWatch.next()).toMatchObject({
      kind: 'RELEASED',
      conversationId: second.id,
      note: 'switched inbox',
    });
  });

  it('L3: releasing the ticket explicitly frees it for the next one', async () => {
    const { inbox, biancaWindow, hannaWindow, hannaWatch } = await team();
    const ticket = await newConversation(org, { inbox });
    await open(biancaWindow, ticket.id);
    await hannaWatch.next();
    const { releaseTicket } = await biancaWindow.api.ok(ReleaseTicketDocument, {
      input: { conversationId: ticket.id },
    });
    expect(releaseTicket).toMatchObject({ released: true, lock: { conversationId: ticket.id } });
    expect(await hannaWatch.next()).toMatchObject({ kind: 'RELEASED', conversationId: ticket.id });
    expect((await open(hannaWindow, ticket.id)).__typename).toBe('TicketLockAcquired');
  });

  it("L3: releasing someone else's ticket is LOCKED; releasing a free one changes nothing", async () => {
    const { inbox, biancaWindow, hannaWindow } = await team();
    const [held, free] = await Promise.all([
      newConversation(org, { inbox }),
      newConversation(org, { inbox }),
    ]);
    await open(biancaWindow, held.id);
    const refused = await hannaWindow.api.fails(ReleaseTicketDocument, {
      input: { conversationId: held.id },
    });
    expect(refused.extensions?.code).toBe('LOCKED');
    const { releaseTicket } = await hannaWindow.api.ok(ReleaseTicketDocument, {
      input: { conversationId: free.id },
    });
    expect(releaseTicket).toEqual({ released: false, lock: null });
  });

  it('L3: signing out releases the locks of that sign-in', async () => {
    const { inbox, biancaWindow, hannaWatch } = await team();
    const ticket = await newConversation(org, { inbox });
    await open(biancaWindow, ticket.id);
    await hannaWatch.next();
    await biancaWindow.member.api.ok(SignOutDocument);
    expect(await hannaWatch.next()).toMatchObject({
      kind: 'RELEASED',
      conversationId: ticket.id,
      note: 'signed out',
    });
  });

  it('L4: an HTTP window that stops sending heartbeats loses its lock within the TTL', async () => {
    const { inbox, hannaWatch } = await team();
    const paula = await newAgent(org, { name: 'Paula', inboxes: [inbox] });
    const ticket = await newConversation(org, { inbox });
    const http = paula.api.asWindow(paula.sessionId); // an HTTP-only client: its sign-in session is its window
    expect(
      (await http.ok(OpenTicketDocument, { input: { conversationId: ticket.id } })).openTicket
        .__typename,
    ).toBe('TicketLockAcquired');
    const locked = await hannaWatch.next();
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      await http.ok(HeartbeatDocument); // alive: keeps the lock past the TTL
    }
    const { ticketLocks } = await http.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(ticketLocks.map((l) => l.conversationId)).toContain(ticket.id);
    const stopped = Date.now();
    const released = await hannaWatch.next(5000); // then silence
    expect(released).toMatchObject({
      kind: 'RELEASED',
      conversationId: ticket.id,
      actor: { kind: 'SYSTEM' },
    });
    expect(Date.now() - stopped).toBeLessThan(server.config.lockTtlSeconds * 1000 + 1500);
    expect(Date.parse(released.at) - Date.parse(locked.at)).toBeGreaterThan(2000);
  });

  it('L4: a lock taken over HTTP stays held while the session makes other requests, and goes after the TTL once it makes none', async () => {
    const { inbox, hannaWatch } = await team();
    const paula = await newAgent(org, { name: 'Paula', inboxes: [inbox] });
    const ticket = await newConversation(org, { inbox });
    // no X-Client-Session, no heartbeat: its sign-in session is its window, seen on every request
    const opened = await paula.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    expect(opened.openTicket.lock.sessionId).toBe(paula.sessionId);
    await hannaWatch.next();
    const ttlMs = server.config.lockTtlSeconds * 1000;
    const until = Date.now() + ttlMs * 2;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await paula.api.ok(MeDocument);
    }
    await hannaWatch.subscription.expectSilence(100);
    const { ticketLocks } = await paula.api.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(ticketLocks.map((l) => l.sessionId)).toContain(paula.sessionId);
    const stopped = Date.now();
    expect(await hannaWatch.next(ttlMs + 3000)).toMatchObject({
      kind: 'RELEASED',
      conversationId: ticket.id,
      note: 'the holder went away',
    });
    expect(Date.now() - stopped).toBeGreaterThan(ttlMs - 1100);
  });

  it('L5: anyone can force-release a lock: the holder is told who did it, and the one who forced it holds the ticket', async () => {
    const { inbox, biancaWindow, hannaWindow, biancaWatch, hanna } = await team();
    const ticket = await newConversation(org, { inbox });
    const bianca = await open(biancaWindow, ticket.id);
    await biancaWatch.next();
    const { forceReleaseTicket } = await hannaWindow.api.ok(ForceReleaseTicketDocument, {
      input: { conversationId: ticket.id },
    });
    expect(forceReleaseTicket.lock).toMatchObject({
      sessionId: hannaWindow.sessionId,
      holder: { name: 'Hanna' },
    });
    expect(forceReleaseTicket.lock!.token).toBeGreaterThan(bianca.lock.token);
    const [forced, locked] = [await biancaWatch.next(), await biancaWatch.next()];
    expect(forced).toMatchObject({
      kind: 'FORCED_RELEASE',
      conversationId: ticket.id,
      lock: { sessionId: biancaWindow.sessionId, holder: { name: 'Bianca' } },
      actor: { kind: 'STAFF', name: 'Hanna', staff: { id: hanna.staff.id } },
    });
    expect(locked).toMatchObject({ kind: 'LOCKED', lock: { sessionId: hannaWindow.sessionId } });
    // Hanna opening it now is hers; Bianca coming back finds it held.
    expect((await open(hannaWindow, ticket.id)).__typename).toBe('TicketLockAcquired');
    expect(await open(biancaWindow, ticket.id)).toMatchObject({
      __typename: 'TicketLockedByOther',
      lock: { holder: { name: 'Hanna' } },
    });
  });

  describe('L6: a moved ticket loses its lock, and every watcher gets a note of what happened', () => {
    async function moved(act: (actor: Member, conversationId: string) => Promise<unknown>) {
      const { inbox, biancaWindow, hannaWatch, hanna } = await team();
      const ticket = await newConversation(org, { inbox });
      await open(biancaWindow, ticket.id);
      await hannaWatch.next();
      await act(hanna, ticket.id);
      const event = await hannaWatch.next();
      expect(event).toMatchObject({
        kind: 'MOVED',
        conversationId: ticket.id,
        lock: { holder: { name: 'Bianca' } },
        actor: { name: 'Hanna' },
      });
      const { ticketLocks } = await org.admin.api.ok(TicketLocksDocument, { inboxId: inbox.id });
      expect(ticketLocks).toEqual([]);
      return event;
    }

    it('L6: closed', async () => {
      const event = await moved((hanna, id) =>
        hanna.api.ok(GuardedCloseDocument, { input: { conversationId: id } }),
      );
      expect(event.note).toBe('Hanna closed it');
    });

    it('L6: archived', async () => {
      const event = await moved((hanna, id) =>
        hanna.api.ok(ArchiveConversationDocument, { input: { conversationId: id } }),
      );
      expect(event.note).toBe('Hanna archived it');
    });

    it('L6: deleted', async () => {
      const event = await moved(async (_hanna, id) => {
        const supervisor = await newSupervisor(org, { name: 'Hanna' });
        return supervisor.api.ok(DeleteConversationDocument, { input: { conversationId: id } });
      });
      expect(event.note).toBe('Hanna deleted it');
    });

    it('L6: reassigned', async () => {
      const event = await moved((hanna, id) =>
        hanna.api.ok(GuardedAssignDocument, {
          input: { conversationId: id, staffId: hanna.staff.id },
        }),
      );
      expect(event.note).toBe('Hanna assigned it to Hanna');
    });
  });

  it('L7: a late joiner starts with a SNAPSHOT of every current lock, then the changes, each with the next seq', async () => {
    const { inbox, biancaWindow, hannaWindow } = await team();
    const [a, b] = await Promise.all([
      newConversation(org, { inbox }),
      newConversation(org, { inbox }),
    ]);
    await open(biancaWindow, a.id);
    await open(hannaWindow, b.id);
    const late = await openWindow(server, await newAgent(org, { inboxes: [inbox] }));
    const watch = await watchLocks(late, inbox.id);
    const { ticketLocks } = await late.api.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(watch.snapshot.locks).toEqual(ticketLocks);
    expect(watch.snapshot.locks?.map((l) => l.conversationId).sort()).toEqual([a.id, b.id].sort());
    await biancaWindow.api.ok(ReleaseTicketDocument, { input: { conversationId: a.id } });
    const next = await watch.next();
    expect(next).toMatchObject({ kind: 'RELEASED', seq: watch.snapshot.seq + 1 });
  });

  it('L8: locks belong to windows: closing one window keeps the lock of another window of the same person', async () => {
    const { inbox, bianca, hannaWatch } = await team();
    const [first, second] = await Promise.all([
      openWindow(server, bianca),
      openWindow(server, bianca),
    ]);
    const ticket = await newConversation(org, { inbox });
    await open(second, ticket.id);
    await hannaWatch.next();
    await first.socket.dispose();
    await hannaWatch.subscription.expectSilence(400);
    const { ticketLocks } = await org.admin.api.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(ticketLocks).toEqual([
      expect.objectContaining({ conversationId: ticket.id, sessionId: second.sessionId }),
    ]);
  });

  it('L8: a person is never blocked by their own other window: the ticket shows as held by them', async () => {
    const { inbox, bianca } = await team();
    const [first, second] = await Promise.all([
      openWindow(server, bianca),
      openWindow(server, bianca),
    ]);
    const ticket = await newConversation(org, { inbox });
    await open(first, ticket.id);
    const again = await open(second, ticket.id);
    expect(again).toMatchObject({
      __typename: 'TicketLockAcquired',
      lock: { sessionId: second.sessionId, holder: { id: bianca.staff.id } },
    });
  });

  it('L8: a window that only glanced at a ticket its person holds never frees it on closing', async () => {
    const { inbox, bianca, hannaWatch } = await team();
    const [a1, a2] = await Promise.all([openWindow(server, bianca), openWindow(server, bianca)]);
    const ticket = await newConversation(org, { inbox });
    const first = await open(a1, ticket.id);
    await hannaWatch.next();
    const glance = await open(a2, ticket.id);
    expect(glance).toMatchObject({
      __typename: 'TicketLockAcquired',
      lock: { token: first.lock.token },
    });
    await hannaWatch.next();
    await a2.socket.dispose();
    const kept = await hannaWatch.next();
    expect(kept).toMatchObject({
      kind: 'LOCKED',
      conversationId: ticket.id,
      lock: { sessionId: a1.sessionId, holder: { id: bianca.staff.id }, token: first.lock.token },
    });
    const { ticketLocks } = await org.admin.api.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(ticketLocks).toEqual([
      expect.objectContaining({ conversationId: ticket.id, sessionId: a1.sessionId }),
    ]);
    // a1 still works on it with the token it was given
    await a1.api.ok(GuardedSendMessageDocument, {
      input: { conversationId: ticket.id, body: 'still mine', lockToken: first.lock.token },
    });
    // and once the last window that had it open lets go, it is free
    await a1.api.ok(ReleaseTicketDocument, { input: { conversationId: ticket.id } });
    expect(await hannaWatch.next()).toMatchObject({ kind: 'RELEASED', conversationId: ticket.id });
  });

  it('L8: a window releasing, leaving or closing hands the ticket to another window of the person that has it open', async () => {
    const { inbox, bianca, hannaWindow, hannaWatch } = await team();
    const [a1, a2, a3] = await Promise.all([
      openWindow(server, bianca),
      openWindow(server, bianca),
      openWindow(server, bianca),
    ]);
    const ticket = await newConversation(org, { inbox });
    for (const w of [a1, a2, a3]) {
      await open(w, ticket.id);
      await hannaWatch.next();
    }
    // a3 holds it; releasing it there keeps it with a window that has it open
    const { releaseTicket } = await a3.api.ok(ReleaseTicketDocument, {
      input: { conversationId: ticket.id },
    });
    expect(releaseTicket).toEqual({ released: false, lock: null });
    const afterRelease = await hannaWatch.next();
    expect(afterRelease).toMatchObject({
      kind: 'LOCKED',
      lock: { holder: { id: bianca.staff.id } },
    });
    const holder = [a1, a2].find((w) => w.sessionId === afterRelease.lock!.sessionId)!;
    const other = holder === a1 ? a2 : a1;
    await holder.api.ok(LeaveInboxDocument, {});
    expect(await hannaWatch.next()).toMatchObject({
      kind: 'LOCKED',
      lock: { sessionId: other.sessionId },
    });
    // another person still cannot take it
    expect(await open(hannaWindow, ticket.id)).toMatchObject({ __typename: 'TicketLockedByOther' });
    await other.socket.dispose();
    expect(await hannaWatch.next()).toMatchObject({ kind: 'RELEASED', conversationId: ticket.id });
    expect(await open(hannaWindow, ticket.id)).toMatchObject({ __typename: 'TicketLockAcquired' });
  });

  it('L10: every acquisition gets a greater token; a write with an older token is LOCK_LOST and changes nothing', async () => {
    const { inbox, biancaWindow, hannaWindow } = await team();
    const ticket = await newConversation(org, { inbox });
    const first = await open(biancaWindow, ticket.id);
    const forced = await hannaWindow.api.ok(ForceReleaseTicketDocument, {
      input: { conversationId: ticket.id },
    });
    expect(forced.forceReleaseTicket.lock!.token).toBeGreaterThan(first.lock.token);

    for (const refused of [
      biancaWindow.api.fails(GuardedSendMessageDocument, {
        input: { conversationId: ticket.id, body: 'late reply', lockToken: first.lock.token },
      }),
      biancaWindow.api.fails(GuardedCloseDocument, {
        input: { conversationId: ticket.id, lockToken: first.lock.token },
      }),
      biancaWindow.api.fails(GuardedAssignDocument, {
        input: {
          conversationId: ticket.id,
          staffId: biancaWindow.member.staff.id,
          lockToken: first.lock.token,
        },
      }),
    ]) {
      expect((await refused).extensions).toMatchObject({
        code: 'LOCK_LOST',
        currentToken: forced.forceReleaseTicket.lock!.token,
      });
    }
    const [row] = await server.dataSource.query(
      'SELECT status, assignee_id, (SELECT count(*)::int FROM message WHERE conversation_id = c.id) AS messages FROM conversation c WHERE id = $1',
      [ticket.id],
    );
    expect(row).toEqual({ status: 'OPEN', assignee_id: null, messages: 0 });
    await hannaWindow.api.ok(GuardedSendMessageDocument, {
      input: {
        conversationId: ticket.id,
        body: 'on it',
        lockToken: forced.forceReleaseTicket.lock!.token,
      },
    });
  });

  it("L11: a ticket of another organization, or of an inbox the agent doesn't see, is NOT_FOUND", async () => {
    const { biancaWindow } = await team();
    const other = await newOrg(server);
    const foreign = await newConversation(other);
    const hidden = await newConversation(org, { inbox: await newInbox(org) });
    for (const conversationId of [foreign.id, hidden.id]) {
      const input = { input: { conversationId } };
      for (const refused of [
        biancaWindow.api.fails(OpenTicketDocument, input),
        biancaWindow.api.fails(ReleaseTicketDocument, input),
        biancaWindow.api.fails(ForceReleaseTicketDocument, input),
      ]) {
        expect((await refused).extensions?.code).toBe('NOT_FOUND');
      }
    }
    const watch = subscribe(biancaWindow.socket, TicketLockEventsDocument, {
      inboxId: other.inbox.id,
    });
    expect((await watch.next()).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const locks = await biancaWindow.api.fails(TicketLocksDocument, { inboxId: other.inbox.id });
    expect(locks.extensions?.code).toBe('NOT_FOUND');
    const [{ count }] = await server.dataSource.query(
      'SELECT count(*)::int AS count FROM ticket_lock WHERE conversation_id = ANY($1)',
      [[foreign.id, hidden.id]],
    );
    expect(count).toBe(0);
  });

  it('L12: a reply or close passing the last message seen is CONFLICT when newer messages exist, listing them', async () => {
    const { inbox, biancaWindow } = await team();
    const ticket = await newConversation(org, { inbox, body: 'Hello' });
    const [seen] = await server.dataSource.query(
      'SELECT id FROM message WHERE conversation_id = $1',
      [ticket.id],
    );
    await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: ticket.id, body: 'Are you there?' },
    });
    for (const refused of [
      biancaWindow.api.fails(GuardedSendMessageDocument, {
        input: { conversationId: ticket.id, body: 'Sure!', lastSeenMessageId: seen.id },
      }),
      biancaWindow.api.fails(GuardedCloseDocument, {
        input: { conversationId: ticket.id, lastSeenMessageId: seen.id },
      }),
    ]) {
      const error = await refused;
      expect(error.extensions?.code).toBe('CONFLICT');
      expect(error.extensions?.missedMessages).toEqual([
        expect.objectContaining({ body: 'Are you there?', direction: 'INCOMING' }),
      ]);
    }
    const [latest] = await server.dataSource.query(
      'SELECT id FROM message WHERE conversation_id = $1 ORDER BY position DESC LIMIT 1',
      [ticket.id],
    );
    await biancaWindow.api.ok(GuardedSendMessageDocument, {
      input: { conversationId: ticket.id, body: 'Yes!', lastSeenMessageId: latest.id },
    });
  });

  it('refuses a window header that is not one of the caller’s windows', async () => {
    const { biancaWindow, hanna } = await team();
    const error = await hanna.api.asWindow(biancaWindow.sessionId).fails(HeartbeatDocument);
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
