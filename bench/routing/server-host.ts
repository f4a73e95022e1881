/**
 * One instance of our server, in a process of its own (forked by RoutingServer): `startServer`
 * with `loadConfig({})`, port 0, log level silent, a long LOCK_TTL_SECONDS (a sign-in keeps its
 * agent reachable for the whole run) and, for a cluster, Redis. Its CPU time, garbage collection,
 * SQL statements and profile are its own, so the parent can read them per routing.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { statementCounter } from '../../src/db/data-source';
import { startServer, type TandemServer } from '../../src/server';
import { ownCpuUs, startGcClock } from '../support/cpu';
import { serveParent } from '../support/ipc';
import { profileHandlers } from '../support/profile';

export interface HostStartArgs {
  databaseUrl: string;
  redisUrl?: string;
  lockTtlSeconds: number;
}

export interface HostStarted {
  url: string;
  wsUrl: string;
  pubsub: string;
}

export interface HostCounters {
  cpuUs: number;
  gcUs: number;
  /** SQL statements of requests and the work they trigger (background jobs left out). */
  statements: number;
}

let server: TandemServer | undefined;
const gc = startGcClock();

async function start(args: HostStartArgs): Promise<HostStarted> {
  const config = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent' as const,
    redisUrl: args.redisUrl,
    lockTtlSeconds: args.lockTtlSeconds,
    secretsKey: randomBytes(32), // the bench stores no provider secrets
  };
  server = await startServer({ config, databaseUrl: args.databaseUrl });
  return { url: server.url, wsUrl: server.wsUrl, pubsub: server.pubsub.kind };
}

async function stop(): Promise<void> {
  const stopping = server?.stop();
  server = undefined;
  await stopping;
}

serveParent(
  {
    start,
    counters: (): HostCounters => ({
      cpuUs: ownCpuUs(),
      gcUs: gc.totalUs(),
      statements: server ? statementCounter(server.dataSource).count : 0,
    }),
    /** Starts (or stops, answering them) recording the SQL statements requests send. */
    recordStatements: ({ on }: { on: boolean }): string[] => {
      if (!server) return [];
      const counter = statementCounter(server.dataSource);
      const recorded = counter.recorded ?? [];
      counter.recorded = on ? [] : undefined;
      return on ? [] : recorded;
    },
    /** Live subscribers of each stream (e.g. the agents' assignment streams). */
    liveSubscribers: ({ streams }: { streams: string[] }): number[] =>
      streams.map((stream) => server?.hub.liveSubscribers(stream) ?? 0),
    ...profileHandlers(),
    stop,
  },
  stop,
);
