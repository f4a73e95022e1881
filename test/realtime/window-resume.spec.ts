/**
 * Issue 19: a console's window across a reconnection (`connectionParams.sessionId`), and an
 * instance's drain (`drain()`, what SIGTERM runs): the window is handed over, not ended.
 */
import WebSocket from 'ws';
import { OpenTicketDocument, TicketLocksDocument } from '../generated/graphql';
import { RECONNECT_HINT } from '../../src/http/graphql-ws';
import { ReconnectingConsole } from '../support/console';
import {
  eventually,
  newAgent,
  newConversation,
  newInbox,
  newOrg,
  signIn,
  type Org,
} from '../support/factories';
import { startTestServer, startTwoInstances, type TestServer } from '../support/server';
import { connect } from '../support/ws';

/** Connects with `connectionParams.sessionId`: the ack's window and whether it was taken back. */
async function reconnect(
  wsUrl: string,
  token: string,
  sessionId: string,
): Promise<{ sessionId: string; resumed: boolean; close(): Promise<void> }> {
  const console_ = new ReconnectingConsole(wsUrl, token);
  console_.connections.push({ sessionId, resumed: false }); // as if it had been connected before
  await console_.connected(2);
  return {
    ...(console_.connections[1] as { sessionId: string; resumed: boolean }),
    close: () => console_.dispose(),
  };
}

describe('a window across reconnections', () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;
  let org: Org;

  beforeAll(async () => {
    ({ a, b, stop } = await startTwoInstances({ lockTtlSeconds: 6 }));
    org = await newOrg(a);
  });
  afterAll(() => stop());

  it('a socket that names its window (connectionParams.sessionId) on another instance is that window again: its lock is kept, nothing is told', async () => {
    const inbox = await newInbox(org);
    const [agent, watcher] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
    ]);
    const ticket = await newConversation(org, { inbox });
    // A third instance on the same database, which goes away (SIGTERM) under the console.
    const leaving = await startTestServer({ database: a.database, config: a.config });
    const first = await connect(leaving.wsUrl, agent.token);
    const watching = new ReconnectingConsole(b.wsUrl, watcher.token);
    const mirror = watching.watchLocks(inbox.id);
    await mirror.ready();
    await agent.api.asWindow(first.sessionId).ok(OpenTicketDocument, {
      input: { conversationId: ticket.id },
    });
    await eventually(() => mirror.locks.get(ticket.id) === first.sessionId, 5000, 'LOCKED');
    const drained = leaving.drain();
    expect(await first.closed).toEqual({ code: 1001, reason: RECONNECT_HINT });

    const again = await reconnect(b.wsUrl, agent.token, first.sessionId);
    await drained;
    expect(again).toMatchObject({ sessionId: first.sessionId, resumed: true });
    // Kept alive by B now: past the TTL, the lock is still there and nobody was told anything.
    await new Promise((resolve) => setTimeout(resolve, 7500));
    const { ticketLocks } = await watcher.api.ok(TicketLocksDocument, { inboxId: inbox.id });
    expect(ticketLocks.map((lock) => [lock.conversationId, lock.sessionId])).toEqual([
      [ticket.id, first.sessionId],
    ]);
    expect(mirror.events.map((event) => event.kind)).toEqual(['LOCKED']);
    await Promise.all([again.close(), watching.dispose()]);
  }, 60_000);

  it('a window is not taken back once ended (its client closed it), by another sign-in, nor while a socket of the instance is it: a new window opens', async () => {
    const agent = await newAgent(org);
    const otherSignIn = await signIn(a, agent.staff.email);

    // Held by a live socket of this instance.
    const held = await connect(a.wsUrl, agent.token);
    const twin = await reconnect(a.wsUrl, agent.token, held.sessionId);
    expect(twin.resumed).toBe(false);
    expect(twin.sessionId).not.toBe(held.sessionId);
    // Another sign-in of the same person.
    const stranger = await reconnect(b.wsUrl, otherSignIn.token, held.sessionId);
    expect(stranger.resumed).toBe(false);
    // Closed by its client: ended (L3).
    await held.dispose();
    await eventually(
      async () => {
        const [row] = await a.dataSource.query(
          'SELECT revoked_at IS NOT NULL AS revoked FROM client_session WHERE id = $1',
          [held.sessionId],
        );
        return (row as { revoked: boolean }).revoked;
      },
      5000,
      'the window ended',
    );
    const closed = await reconnect(b.wsUrl, agent.token, held.sessionId);
    expect(closed.resumed).toBe(false);
    // Not an id at all.
    const junk = await reconnect(b.wsUrl, agent.token, 'not-a-uuid');
    expect(junk.resumed).toBe(false);
    await Promise.all([twin, stranger, closed, junk].map((c) => c.close()));
  }, 60_000);
});

describe('drain (SIGTERM)', () => {
  it('readyz answers 503 and new sockets are refused with 503 at once; sockets are closed with 1001 and the reconnect hint; their windows stay for the TTL', async () => {
    const server = await startTestServer({ config: { drainSeconds: 4 } });
    const org = await newOrg(server);
    const agent = await newAgent(org);
    const socket = await connect(server.wsUrl, agent.token);
    const origin = server.url.replace('/graphql', '');
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);

    const draining = server.drain();
    const readyz = await fetch(`${origin}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'draining' });
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws');
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(refused).toBe(503);
    expect(await socket.closed).toEqual({ code: 1001, reason: RECONNECT_HINT });
    const [{ revoked }] = await server.dataSource.query(
      'SELECT revoked_at IS NOT NULL AS revoked FROM client_session WHERE id = $1',
      [socket.sessionId],
    );
    expect(revoked).toBe(false);
    await draining;
    await server.database.drop();
  }, 60_000);
});
