/**
 * A crowd of console windows in one process (forked by WatcherProcess): graphql-ws clients
 * (`createClient` over `ws`), one socket each, each authenticated with its bearer token and
 * subscribed to the same operations. For the first operation of every socket it notes when each
 * event (by `seq`) arrived, and reports an event once every socket has it: the first and the last
 * arrival (process.hrtime, comparable with the other processes of the host).
 */
import { type Client, createClient, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { ownCpuUs } from '../support/cpu';
import { serveParent } from '../support/ipc';

export interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

export interface ConnectArgs {
  wsUrl: string;
  /** Socket `i` authenticates with `tokens[i % tokens.length]`. */
  tokens: string[];
  count: number;
  /** Sockets being opened at once. */
  concurrency: number;
  operations: Operation[];
}

export interface ConnectOutcome {
  connected: number;
  /** Sockets closed before the connection was acknowledged, by close code. */
  refused: Record<string, number>;
  refusedReasons: string[];
  elapsedMs: number;
}

/** One event that reached every watching socket. */
export interface Receipt {
  seq: number;
  kind: string;
  /** hrtime in ms. */
  first: number;
  last: number;
  /** JSON length of the result's `data`, as the first socket got it. */
  bytes: number;
}

export interface WatcherStats {
  sockets: number;
  /** Sockets that closed after being acknowledged, by close code. */
  lost: Record<string, number>;
  errors: number;
  firstError?: string;
  /** Events some sockets have and others not yet: seq → how many have it. */
  incomplete: Record<string, number>;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

const clients: Client[] = [];
/** Clients this process is closing: their close is not a loss. */
const closing = new WeakSet<Client>();
/** Sockets ever opened: socket `n` uses token `n % tokens.length`. */
let opened = 0;
/** Sockets whose first operation is watched. */
let watching = 0;
const arriving = new Map<
  number,
  { kind: string; count: number; first: number; last: number; bytes: number }
>();
const lost: Record<string, number> = {};
let errors = 0;
let firstError: string | undefined;

const { emit } = serveParent(
  {
    connect,
    closeAll,
    cpu: () => ownCpuUs(),
    stats: (): WatcherStats => ({
      sockets: clients.length,
      lost,
      errors,
      firstError,
      incomplete: Object.fromEntries([...arriving].map(([seq, entry]) => [seq, entry.count])),
    }),
  },
  () => {
    for (const client of clients) void client.dispose();
  },
);

function noteError(error: unknown): void {
  errors += 1;
  firstError ??= typeof error === 'string' ? error : JSON.stringify(error).slice(0, 500);
}

function arrived(result: ExecutionResult): void {
  const at = nowMs();
  if (result.errors?.length || !result.data) {
    noteError(result.errors ?? result);
    return;
  }
  const event = Object.values(result.data)[0] as { seq?: unknown; kind?: unknown } | undefined;
  if (typeof event?.seq !== 'number' || event.kind === 'SNAPSHOT') return;
  let entry = arriving.get(event.seq);
  if (!entry) {
    const bytes = JSON.stringify(result.data).length;
    entry = { kind: String(event.kind), count: 0, first: at, last: at, bytes };
    arriving.set(event.seq, entry);
  }
  entry.count += 1;
  entry.last = at;
  if (entry.count >= watching) {
    arriving.delete(event.seq);
    const { kind, first, last, bytes } = entry;
    emit('receipt', { seq: event.seq, kind, first, last, bytes } satisfies Receipt);
  }
}

type Opened = { ok: true } | { ok: false; code: number; reason: string };

function open(wsUrl: string, token: string, operations: Operation[]): Promise<Opened> {
  return new Promise((resolve) => {
    let acknowledged = false;
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
      onNonLazyError: () => {},
      on: {
        connected: () => {
          acknowledged = true;
          clients.push(client);
          operations.forEach((operation, index) => {
            client.subscribe(operation, {
              next: index === 0 ? arrived : () => {},
              error: noteError,
              complete: () => {},
            });
          });
          if (operations.length > 0) watching += 1;
          resolve({ ok: true });
        },
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          if (acknowledged) {
            if (!closing.has(client)) lost[code] = (lost[code] ?? 0) + 1;
          } else resolve({ ok: false, code, reason: String(reason) });
        },
      },
    });
  });
}

async function connect(args: ConnectArgs): Promise<ConnectOutcome> {
  const started = nowMs();
  const outcome: ConnectOutcome = { connected: 0, refused: {}, refusedReasons: [], elapsedMs: 0 };
  let next = 0;
  const opener = async () => {
    while (next < args.count) {
      next += 1;
      const token = args.tokens[opened++ % args.tokens.length] as string;
      const result = await open(args.wsUrl, token, args.operations);
      if (result.ok) {
        outcome.connected += 1;
      } else {
        outcome.refused[result.code] = (outcome.refused[result.code] ?? 0) + 1;
        if (!outcome.refusedReasons.includes(result.reason))
          outcome.refusedReasons.push(result.reason);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.count) }, opener));
  outcome.elapsedMs = nowMs() - started;
  return outcome;
}

async function closeAll(): Promise<void> {
  const closed = clients.splice(0).map((client) => {
    closing.add(client);
    return client.dispose();
  });
  watching = 0;
  arriving.clear();
  await Promise.all(closed);
}
