import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { wallMs } from '../support/clock';

/** Why sockets the benchmark had open were closed under it (not by `dispose`): shown by the run. */
export const socketsLost: string[] = [];

/** One graphql-ws socket of the benchmark (a supervisor's tool, a console). */
export async function openSocket(wsUrl: string, token: string): Promise<Client> {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    onNonLazyError: () => {},
  });
  let connected = false;
  await new Promise<void>((resolve, reject) => {
    client.on('connected', () => {
      connected = true;
      resolve();
    });
    client.on('closed', (event) => {
      // 1000: the benchmark's own `dispose`.
      if (connected && (event as { code?: number })?.code !== 1000)
        socketsLost.push(describeError(event).message);
      reject(describeError(event));
    });
  });
  return client;
}

/**
 * Subscribes and hands each result to `onData` with the wall-clock time it arrived (ms, `wallMs`);
 * resolves once the first result came (the subscription is live). Errors end the benchmark.
 */
export function follow<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T, receivedAt: number) => void,
): { first: Promise<void>; stop: () => void } {
  let started: () => void = () => {};
  let failed: (error: Error) => void = () => {};
  const first = new Promise<void>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        const at = wallMs();
        if (result.errors?.length) {
          failed(new Error(JSON.stringify(result.errors)));
          return;
        }
        started();
        onData(result.data as T, at);
      },
      error: (error) => failed(describeError(error)),
      complete: () => {},
    },
  );
  // Awaited by the round once every subscription is live; until then a failure waits there.
  first.catch(() => undefined);
  return { first, stop };
}

/** What graphql-ws hands the error sink: an Error, GraphQL errors, or the socket's close. */
function describeError(error: unknown): Error {
  if (error instanceof Error) return error;
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  if (typeof code === 'number') return new Error(`socket closed: ${code} ${String(reason ?? '')}`);
  return new Error(JSON.stringify(error));
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `tick` `perSecond` times a second (in batches every 10 ms) for `seconds`, without waiting
 * for one call to end before the next (an open loop, as arrivals are).
 */
export async function openLoop(
  perSecond: number,
  seconds: number,
  tick: (n: number) => Promise<unknown>,
): Promise<void> {
  const started = Date.now();
  const total = Math.round(perSecond * seconds);
  const pending: Promise<unknown>[] = [];
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * perSecond) + 1);
    while (sent < due) pending.push(tick(sent++));
    await sleep(10);
  }
  await Promise.all(pending);
}

/**
 * Resolves once every promise did; rejects after `ms` saying how many had not (a subscription
 * that never receives its first event fails the run instead of holding it forever).
 */
export async function allWithin(promises: Promise<unknown>[], ms: number, what: string) {
  let settled = 0;
  for (const promise of promises)
    void promise.then(
      () => (settled += 1),
      () => undefined,
    );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${what}: ${promises.length - settled} of ${promises.length} still waiting after ${ms / 1000} s`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([Promise.all(promises), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
