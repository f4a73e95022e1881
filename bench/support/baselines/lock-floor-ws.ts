import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import {
  type LockFloorCore,
  type LockFunction,
  type LockResult,
  lockFloorSchema,
} from './lock-floor';

/** A socket's window, opened when it connected (as ours opens one per socket). */
interface Window {
  organizationId: string;
  staffId: string;
  seesAll: boolean;
  actor: { kind: 'STAFF'; id: string; name: string };
  windowId: string;
  /** The ticket this window last opened: released when the socket closes (L3, as ours does). */
  held?: string;
}

/**
 * The caller (bearer token) and a window of its own for the socket, in one statement, once per
 * connection: what ours does in `connection_init` (`openSocket`), without its routing drain.
 */
const CONNECT = `
  WITH caller AS (
    SELECT s.id AS session_id, s.organization_id, s.expires_at, st.id AS staff_id, st.role, st.name
      FROM client_session s
      JOIN staff st ON st.id = s.staff_id
     WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND st.active),
  opened AS (
    INSERT INTO client_session (organization_id, staff_id, parent_id, kind, expires_at)
    SELECT organization_id, staff_id, session_id, 'WINDOW', expires_at FROM caller
    RETURNING id)
  SELECT c.organization_id, c.staff_id, c.role, c.name, (SELECT id FROM opened) AS window_id
    FROM caller c`;

/** How often the windows of open sockets are marked seen (ours: the session registry's check). */
const KEEP_ALIVE_MS = 10_000;

export interface LockFloorWsServer {
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * The floor of a lock operation over the console's socket (`bench/locks`, part 2): a bare
 * graphql-ws server (graphql 16, `graphql-ws/use/ws`, no type-graphql, no limits, no log line,
 * no access re-check) whose socket authenticates once and is its window, as ours; each
 * `openTicket`/`releaseTicket` is ONE statement, the same lock function with the window known
 * from the socket (no lookup per operation), then the events numbered after it as ours does
 * (`LockFloorCore.sequence`). What a lock operation over the socket cannot go below with these
 * rules; against the one-write floor over graphql-ws it says how much of the 0.9x goal the work
 * itself leaves.
 */
export async function serveLockFloorOverWs(core: LockFloorCore): Promise<LockFloorWsServer> {
  const windows = new Set<Window>();
  /** The lock function on the socket's window: one statement, committed on its own. */
  const lock = async (fn: LockFunction, conversationId: string, window: Window) => {
    const { rows } = await core.pool.query<{ result: LockResult }>({
      name: `${fn}_ws`,
      text: `SELECT ${fn}($1, $2, $3, $4, $5, $6::interval, $7) AS result`,
      values: [
        window.organizationId,
        conversationId,
        window.windowId,
        window.staffId,
        window.seesAll,
        core.ttl,
        window.actor,
      ],
    });
    if (fn === 'tandem_open_ticket') window.held = conversationId;
    else if (window.held === conversationId) window.held = undefined;
    return core.answer(rows[0]?.result);
  };
  const schema = lockFloorSchema<Window>(lock);
  const close = async (window: Window) => {
    windows.delete(window);
    if (window.held) await lock('tandem_release_ticket', window.held, window);
    await core.pool.query('UPDATE client_session SET revoked_at = now() WHERE id = $1', [
      window.windowId,
    ]);
  };
  const keepAlive = setInterval(() => {
    const ids = [...windows].map((window) => window.windowId);
    if (ids.length)
      void core.pool
        .query('UPDATE client_session SET last_seen_at = now() WHERE id = ANY($1)', [ids])
        .catch(() => undefined);
  }, KEEP_ALIVE_MS);

  const server = http.createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const graphqlWs = useServer<
    Record<string, unknown>,
    Record<PropertyKey, unknown> & { window?: Window }
  >(
    {
      schema,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization;
        const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : '';
        const { rows } = await core.pool.query<{
          organization_id: string;
          staff_id: string;
          role: string;
          name: string;
          window_id: string;
        }>({
          name: 'connect',
          text: CONNECT,
          values: [createHash('sha256').update(token).digest('hex')],
        });
        const row = rows[0];
        if (!row) return false;
        const window: Window = {
          organizationId: row.organization_id,
          staffId: row.staff_id,
          seesAll: row.role !== 'AGENT',
          actor: { kind: 'STAFF', id: row.staff_id, name: row.name },
          windowId: row.window_id,
        };
        windows.add(window);
        ctx.extra.window = window;
        return { sessionId: window.windowId };
      },
      context: (ctx) => ctx.extra.window as Window,
      onClose: async (ctx) => {
        if (ctx.extra.window) await close(ctx.extra.window).catch(() => undefined);
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    stop: async () => {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.terminate();
      await graphqlWs.dispose();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
