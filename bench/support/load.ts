import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { LatencySummary } from './stats';

/**
 * What one client of a load run sends, when clients differ: its own headers (e.g. the window it
 * acts as) and the bodies it sends in turn, over and over (e.g. acquire, release, acquire...).
 */
export interface ClientScript {
  headers?: Record<string, string>;
  /** Over `graphql-ws`: the socket's `connectionParams` (how it authenticates). */
  connectionParams?: Record<string, unknown>;
  bodies: string[];
}

/**
 * `clients` scripts that each send every body in turn, each starting at a different one (`stride`
 * bodies after the previous client's start), so that no two clients send the same request at once.
 */
export function rotatedScripts(bodies: string[], clients: number, stride: number): ClientScript[] {
  return Array.from({ length: clients }, (_, i) => ({
    bodies: bodies.map((_, j) => bodies[(i * stride + j) % bodies.length] as string),
  }));
}

/** One closed-loop load run: `concurrency` clients, each sending its next request on a reply. */
export interface LoadSpec {
  /**
   * `http` (default): each body a POST over keep-alive connections. `graphql-ws`: each client a
   * socket of its own to `url` (ws://), connected before the clock starts; each body a GraphQL
   * request (`{ query, variables }`) run as one operation, done at its `complete`.
   */
  transport?: 'http' | 'graphql-ws';
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /**
   * Client `i` follows `clients[i % clients.length]` instead of sending `body` (its headers are
   * added to `headers`).
   */
  clients?: ClientScript[];
  concurrency: number;
  durationMs: number;
  /** A 200 whose body contains this (or any of these) still counts as an error (e.g. `"errors"`). */
  failIfBodyIncludes?: string | string[];
}

export interface LoadResult extends LatencySummary {
  /** Successful requests. */
  requests: number;
  errors: number;
  firstError?: string;
  /** From the first request sent to the last reply received. */
  elapsedMs: number;
  /** Successful requests per second. */
  throughput: number;
  /** CPU time the load generator itself used (user + system). */
  clientCpuMs: number;
  /** Body size of a successful reply. */
  responseBytes: number;
}

export type WorkerRequest = { id: number; spec: LoadSpec };
export type WorkerReply =
  { ready: true } | { id: number; result: LoadResult } | { id: number; error: string };

/**
 * The load generator, in a child process of its own so that it never shares an event loop (or
 * a garbage collector) with the server under test. It stays up between runs, so its code is
 * warm for every round.
 */
export class LoadGenerator {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (result: LoadResult) => void; reject: (error: Error) => void }
  >();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: WorkerReply) => {
      if ('ready' in message) return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('result' in message) waiting?.resolve(message.result);
      else waiting?.reject(new Error(`load generator: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      for (const waiting of this.pending.values())
        waiting.reject(new Error(`load generator exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const child = fork(path.join(__dirname, 'load-worker.ts'), [], {
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`load generator exited (${code})`)));
    });
    return new LoadGenerator(child);
  }

  /** The child's pid, e.g. to read its CPU time from outside. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, spec } satisfies WorkerRequest);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
