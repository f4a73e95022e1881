import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

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
  await new Promise<void>((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('closed', (event) => reject(new Error(`closed: ${JSON.stringify(event)}`)));
  });
  return client;
}

/**
 * Subscribes and hands each result to `onData` with the wall-clock time it arrived (ms);
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
        const at = Date.now();
        if (result.errors?.length) {
          failed(new Error(JSON.stringify(result.errors)));
          return;
        }
        started();
        onData(result.data as T, at);
      },
      error: (error) => failed(error instanceof Error ? error : new Error(JSON.stringify(error))),
      complete: () => {},
    },
  );
  return { first, stop };
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
