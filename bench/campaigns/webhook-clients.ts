/**
 * The provider and the consoles of the webhook benchmarks, in a process of their own (forked by
 * `index.ts`): sets of graphql-ws consoles that note when each event reaches them, a sender of
 * signed webhooks one at a time (webhook → every console), and an open-loop sender at a fixed
 * rate (the burst). Times are `process.hrtime`, comparable across the processes of one host.
 */
import 'reflect-metadata';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { serveParent } from '../support/ipc';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

interface ConsoleSet {
  clients: Client[];
  /** Per key (a message's text), when each console received it. */
  receipts: Map<string, number[]>;
}

const sets = new Map<string, ConsoleSet>();

export interface ConnectArgs {
  set: string;
  wsUrl: string;
  /** One socket per entry, authenticated with it. */
  connectionParams: Array<Record<string, unknown>>;
  query: string;
  variables: Record<string, unknown>;
  /** Where the key is in an event's `data`, e.g. `conversationEvents.message.body`. */
  keyPath: string;
}

function keyOf(data: unknown, path: string[]): string | undefined {
  let value: unknown = data;
  for (const step of path) value = (value as Record<string, unknown> | null)?.[step];
  return typeof value === 'string' ? value : undefined;
}

async function connect(args: ConnectArgs): Promise<void> {
  const set: ConsoleSet = { clients: [], receipts: new Map() };
  sets.set(args.set, set);
  const path = args.keyPath.split('.');
  await Promise.all(
    args.connectionParams.map(
      (params) =>
        new Promise<void>((resolve, reject) => {
          const client = createClient({
            url: args.wsUrl,
            webSocketImpl: WebSocket,
            connectionParams: params,
            lazy: false,
            retryAttempts: 0,
            on: { connected: () => resolve(), error: reject },
          });
          set.clients.push(client);
          client.subscribe(
            { query: args.query, variables: args.variables },
            {
              next: ({ data }) => {
                const key = keyOf(data, path);
                if (key === undefined) return;
                const at = nowMs();
                const seen = set.receipts.get(key);
                if (seen) seen.push(at);
                else set.receipts.set(key, [at]);
              },
              error: (error) => console.error(`${args.set}: subscription failed`, error),
              complete: () => {},
            },
          );
        }),
    ),
  );
}

export interface SignedWebhook {
  body: string;
  headers: Record<string, string>;
  /** The message's text, as the consoles' key reads it. */
  key: string;
}

export interface Arrival {
  /** When the POST was sent (hrtime ms, comparable with the server's process). */
  postedAtMs: number;
  /** From the POST to its 200. */
  answeredMs: number;
  /** From the POST to the last console's receipt. */
  lastConsoleMs: number;
  /** From the POST to the median console's receipt. */
  medianConsoleMs: number;
}

/** Posts each webhook and waits until every console of `set` has its event, one at a time. */
async function arrivals(args: {
  set: string;
  url: string;
  webhooks: SignedWebhook[];
  timeoutMs: number;
}): Promise<Arrival[]> {
  const set = sets.get(args.set);
  if (!set) throw new Error(`no console set ${args.set}`);
  const results: Arrival[] = [];
  for (const webhook of args.webhooks) {
    const started = nowMs();
    const response = await fetch(args.url, {
      method: 'POST',
      body: webhook.body,
      headers: { 'content-type': 'application/json', ...webhook.headers },
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${args.url}: HTTP ${response.status}`);
    const answeredMs = nowMs() - started;
    const deadline = Date.now() + args.timeoutMs;
    while ((set.receipts.get(webhook.key)?.length ?? 0) < set.clients.length) {
      if (Date.now() > deadline) {
        throw new Error(
          `${args.set}: ${set.receipts.get(webhook.key)?.length ?? 0} of ${set.clients.length} consoles got "${webhook.key}"`,
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const times = (set.receipts.get(webhook.key) as number[]).slice().sort((a, b) => a - b);
    set.receipts.delete(webhook.key);
    results.push({
      postedAtMs: started,
      answeredMs,
      lastConsoleMs: (times.at(-1) as number) - started,
      medianConsoleMs: (times[Math.floor(times.length / 2)] as number) - started,
    });
  }
  return results;
}

/**
 * Posts the webhooks at `rate` per second (open loop: on schedule, whatever the answers); the
 * time of every answer, and how many were not a 200.
 */
async function burst(args: {
  url: string;
  webhooks: SignedWebhook[];
  rate: number;
}): Promise<{ latenciesMs: number[]; errors: number; firstError?: string; elapsedMs: number }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = nowMs();
  const interval = 1000 / args.rate;
  const sends = args.webhooks.map(async (webhook, i) => {
    const due = started + i * interval;
    const wait = due - nowMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = nowMs();
    try {
      const response = await fetch(args.url, {
        method: 'POST',
        body: webhook.body,
        headers: { 'content-type': 'application/json', ...webhook.headers },
      });
      const text = await response.text();
      // Every answer's time counts, a refusal too: the provider waits for it either way.
      latenciesMs.push(nowMs() - sent);
      if (response.status !== 200) throw new Error(`HTTP ${response.status} ${text.slice(0, 200)}`);
    } catch (error) {
      errors += 1;
      firstError ??= String(error);
    }
  });
  await Promise.all(sends);
  return { latenciesMs, errors, firstError, elapsedMs: nowMs() - started };
}

async function closeAll(): Promise<void> {
  for (const set of sets.values()) await Promise.all(set.clients.map((c) => c.dispose()));
  sets.clear();
}

serveParent(
  {
    connect: (args: ConnectArgs) => connect(args),
    arrivals: (args: Parameters<typeof arrivals>[0]) => arrivals(args),
    burst: (args: Parameters<typeof burst>[0]) => burst(args),
    close: () => closeAll(),
  },
  closeAll,
);
