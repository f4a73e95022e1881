import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface CloseEvent {
  code: number;
  reason: string;
}

/** One console window: a real graphql-ws connection over a real socket. */
export interface Console {
  client: Client;
  /** The window's client session id, from the connection ack. */
  sessionId: string;
  /** Resolves when the server or the client closes the socket. */
  closed: Promise<CloseEvent>;
  /** Drops the socket without a goodbye (as a crashed browser would). */
  terminate(): void;
  dispose(): Promise<void>;
}

/** Connects and authenticates; rejects with the close event when the server refuses. */
export function connect(wsUrl: string, token: string | undefined): Promise<Console> {
  let socket: WebSocket | undefined;
  let resolveClosed: (event: CloseEvent) => void = () => {};
  const closed = new Promise<CloseEvent>((resolve) => (resolveClosed = resolve));
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      onNonLazyError: () => {},
      on: {
        opened: (opened) => {
          socket = opened as WebSocket;
        },
        connected: (_socket, payload) => {
          resolve({
            client,
            sessionId: (payload as { sessionId: string }).sessionId,
            closed,
            terminate: () => socket?.terminate(),
            dispose: async () => {
              await client.dispose();
            },
          });
        },
        closed: (event) => {
          const { code, reason } = event as CloseEvent;
          resolveClosed({ code, reason: String(reason) });
          reject(
            Object.assign(new Error(`closed ${code} ${reason}`), { code, reason: String(reason) }),
          );
        },
      },
    });
  });
}

/** A subscription whose results a test pulls one at a time. */
export class Subscription<TData> {
  private readonly results: ExecutionResult<TData>[] = [];
  private readonly waiting: Array<(result: ExecutionResult<TData>) => void> = [];
  private readonly dispose: () => void;
  completed = false;

  constructor(
    client: Client,
    document: TypedDocumentNode<TData, unknown> | string,
    variables?: unknown,
  ) {
    this.dispose = client.subscribe<TData>(
      {
        query: typeof document === 'string' ? document : print(document),
        variables: variables as Record<string, unknown>,
      },
      {
        next: (result) => this.push(result as ExecutionResult<TData>),
        error: (error) => {
          const errors = Array.isArray(error) ? error : [error];
          this.push({ errors } as ExecutionResult<TData>);
        },
        complete: () => {
          this.completed = true;
        },
      },
    );
  }

  /** The next result, or a failure after `timeoutMs`. */
  next(timeoutMs = 5000): Promise<ExecutionResult<TData>> {
    const ready = this.results.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new Error(`no subscription result within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (result: ExecutionResult<TData>) => {
        clearTimeout(timer);
        resolve(result);
      };
      this.waiting.push(waiter);
    });
  }

  /** The data of the next result, which must not carry errors. */
  async nextData(timeoutMs?: number): Promise<TData> {
    const result = await this.next(timeoutMs);
    if (result.errors?.length || !result.data)
      throw new Error(`expected data, got ${JSON.stringify(result)}`);
    return result.data;
  }

  /** Asserts nothing arrives for `ms`. */
  async expectSilence(ms = 300): Promise<void> {
    const result = await this.next(ms).catch(() => undefined);
    if (result) throw new Error(`expected nothing, got ${JSON.stringify(result)}`);
  }

  close(): void {
    this.dispose();
  }

  private push(result: ExecutionResult<TData>): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(result);
    else this.results.push(result);
  }
}

export function subscribe<TData, TVariables>(
  console: Console,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
): Subscription<TData> {
  return new Subscription<TData>(
    console.client,
    document as TypedDocumentNode<TData, unknown>,
    variables,
  );
}

/** Resolves once the server has registered the subscription (it answers pings in order). */
export async function settle(ms = 100): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** The code of a result's first error: a refused operation, or a stream that ended with one. */
export function errorCodeOf(result: { errors?: ReadonlyArray<unknown> }): unknown {
  const [error] = (result.errors ?? []) as Array<{ extensions?: { code?: unknown } }>;
  return error?.extensions?.code;
}
