/**
 * Issue 19, item 5 (reconnect storm) through nginx: thousands of consoles come back at once to an
 * instance that is busy for a moment. Their connections must wait in the kernel's accept queue
 * (LISTEN_BACKLOG), not be dropped: with Node's default backlog (511) the kernel drops the SYNs
 * past it, nginx's connect to the instance times out (proxy_connect_timeout 2 s), the instance is
 * marked failed and every console in the storm is answered 502 until it comes back.
 */
import WebSocket from 'ws';
import { freePort } from '../../src/db/embedded-postgres';
import { Nginx, nginxAvailable, NGINX_MISSING } from '../../scripts/nginx';
import { startServerProcess, type ServerProcess } from '../support/child-process';
import { createTestDatabase, type TestDatabase } from '../support/database';

if (!nginxAvailable()) throw new Error(NGINX_MISSING);

/** More than Node's default backlog (511), well under the kernel's somaxconn (4,096). */
const BURST = 1500;

/** How a WebSocket upgrade through nginx ended: 101 (open), or nginx's HTTP status. */
function upgrade(url: string): Promise<{ socket?: WebSocket; status: number | string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.once('open', () => resolve({ socket, status: 101 }));
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate();
      resolve({ status: response.statusCode ?? 'none' });
    });
    socket.once('error', (error) => resolve({ status: error.message }));
  });
}

describe('reconnect storm through nginx', () => {
  let database: TestDatabase;
  let instance: ServerProcess;
  let nginx: Nginx;

  beforeAll(async () => {
    database = await createTestDatabase();
    instance = await startServerProcess({ DATABASE_URL: database.url, TRUST_PROXY: 'loopback' });
    // As in the storm: the instance the consoles were on is gone (its port refuses), the other
    // takes them all.
    nginx = await Nginx.start({
      listen: `127.0.0.1:${await freePort()}`,
      upstreams: [`127.0.0.1:${await freePort()}`, new URL(instance.url).host],
      workerConnections: 4 * BURST,
    });
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await instance?.process.kill();
    await database?.drop();
  });

  it(`LISTEN_BACKLOG: ${BURST} sockets arriving while the instance is stalled for longer than nginx's connect timeout wait in the accept queue, and all are upgraded (none answered 502)`, async () => {
    const pid = instance.process.child.pid as number;
    // The instance cannot accept for 3 s (a stop-the-world pause, a busy event loop): only the
    // kernel takes the connections meanwhile.
    process.kill(pid, 'SIGSTOP');
    let results: Array<{ socket?: WebSocket; status: number | string }> = [];
    try {
      const pending = Promise.all(Array.from({ length: BURST }, () => upgrade(nginx.wsUrl)));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      process.kill(pid, 'SIGCONT');
      results = await pending;
    } finally {
      process.kill(pid, 'SIGCONT');
      for (const { socket } of results) socket?.terminate();
    }
    const statuses = new Map<number | string, number>();
    for (const { status } of results) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 101: BURST });
  }, 120_000);
});
