/**
 * The load generator's process (forked by LoadGenerator): runs one LoadSpec per message and
 * answers with its figures. Exits when the parent disconnects.
 */
import http from 'node:http';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { LoadResult, LoadSpec, WorkerReply, WorkerRequest } from './load';
import { msSince, summarizeLatencies } from './stats';

type Outcome = { ok: true; bytes: number } | { ok: false; error: string };

function send(
  agent: http.Agent,
  url: URL,
  spec: LoadSpec,
  headers: http.OutgoingHttpHeaders,
  body: Buffer | undefined,
  failures: string[],
): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      { agent, method: spec.method ?? (body ? 'POST' : 'GET'), headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => resolve({ ok: false, error: error.message }));
        response.on('end', () => {
          const text = Buffer.concat(chunks);
          if (response.statusCode !== 200) {
            resolve({
              ok: false,
              error: `HTTP ${response.statusCode}: ${text.toString('utf8', 0, 300)}`,
            });
          } else if (failures.some((failure) => text.includes(failure))) {
            resolve({ ok: false, error: text.toString('utf8', 0, 300) });
          } else {
            resolve({ ok: true, bytes: text.length });
          }
        });
      },
    );
    request.on('error', (error) => resolve({ ok: false, error: error.message }));
    request.end(body);
  });
}

/** What one client sends in turn: each request's headers and body. */
function scriptOf(
  spec: LoadSpec,
  index: number,
): Array<{ headers: http.OutgoingHttpHeaders; body?: Buffer }> {
  const script = spec.clients?.length ? spec.clients[index % spec.clients.length] : undefined;
  const bodies = script ? script.bodies : [spec.body];
  return bodies.map((text) => {
    const body = text === undefined ? undefined : Buffer.from(text);
    const headers: http.OutgoingHttpHeaders = { ...spec.headers, ...script?.headers };
    if (body) headers['content-length'] = body.length;
    return { headers, body };
  });
}

/** One GraphQL operation over a graphql-ws socket, settled at its `complete`. */
function operate(socket: Client, body: string, failures: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    let text = '';
    socket.subscribe(JSON.parse(body) as { query: string }, {
      next: (result) => {
        text += JSON.stringify(result);
      },
      error: (error) => resolve({ ok: false, error: String(JSON.stringify(error)).slice(0, 300) }),
      complete: () =>
        resolve(
          failures.some((failure) => text.includes(failure))
            ? { ok: false, error: text.slice(0, 300) }
            : { ok: true, bytes: text.length },
        ),
    });
  });
}

/** The load's sockets, one per client, each connected (acknowledged) before the clock starts. */
async function connectSockets(spec: LoadSpec): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: spec.concurrency }, async (_, index) => {
      const script = spec.clients?.length ? spec.clients[index % spec.clients.length] : undefined;
      const socket = createClient({
        url: spec.url,
        webSocketImpl: WebSocket,
        connectionParams: script?.connectionParams,
        lazy: false,
        retryAttempts: 0,
      });
      await new Promise<void>((resolve, reject) => {
        socket.on('connected', () => resolve());
        socket.on('closed', (event) =>
          reject(new Error(`socket closed: ${JSON.stringify(event)}`)),
        );
      });
      return socket;
    }),
  );
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.url);
  const failures = [spec.failIfBodyIncludes ?? []].flat();
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const sockets = spec.transport === 'graphql-ws' ? await connectSockets(spec) : [];
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let responseBytes = 0;

  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(spec.durationMs * 1e6));
  const client = async (index: number) => {
    const script = scriptOf(spec, index);
    for (let turn = 0; process.hrtime.bigint() < deadline; turn++) {
      const { headers, body } = script[turn % script.length] as (typeof script)[number];
      const sent = process.hrtime.bigint();
      const socket = sockets[index];
      const outcome = socket
        ? await operate(socket, body?.toString() ?? '{}', failures)
        : await send(agent, url, spec, headers, body, failures);
      if (outcome.ok) {
        latencies.push(msSince(sent));
        responseBytes = outcome.bytes;
      } else {
        errors += 1;
        firstError ??= outcome.error;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, index) => client(index)));
  const elapsedMs = msSince(start);
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  await Promise.all(sockets.map((socket) => socket.dispose()));

  return {
    ...summarizeLatencies(latencies),
    requests: latencies.length,
    errors,
    firstError,
    elapsedMs,
    throughput: latencies.length / (elapsedMs / 1000),
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    responseBytes,
  };
}

function reply(message: WorkerReply): void {
  process.send?.(message);
}

process.on('message', (message: WorkerRequest) => {
  runLoad(message.spec).then(
    (result) => reply({ id: message.id, result }),
    (error: unknown) => reply({ id: message.id, error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
