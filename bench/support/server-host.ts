import { benchConfig } from './config';
/**
 * A server under test, in a process of its own (forked by ServerProcess): ours (`startServer`,
 * `benchConfig()`, port 0, log level silent), the bare graphql-ws baseline, a bare Apollo Server
 * or the one-write floor. Its CPU time, GC, SQL statements and memory are its own, so the parent
 * can read them per request, per event and per socket.
 */
import 'reflect-metadata';
import { statementCounter } from '../../src/db/data-source';
import { createLogger } from '../../src/logger';
import { startServer, type TandemServer } from '../../src/server';
import { startBareApollo } from './baselines/apollo';
import { CpuProfile } from './cpu-profile';
import { serveParent } from './ipc';
import { ownCpuUs, startGcClock } from './cpu';
import {
  type BaselineEvent,
  type BaselineWsServer,
  startBaselineWsServer,
} from './baselines/graphql-ws';
import { type OneWriteServer, startOneWriteServer } from './baselines/one-write';

export type ServerKind = 'ours' | 'baseline-ws' | 'apollo' | 'one-write';

export interface StartArgs {
  kind: ServerKind;
  databaseUrl?: string;
  redisUrl?: string;
  maxSockets?: number;
  lockTtlSeconds?: number;
  /** one-write: its Postgres connections. */
  connections?: number;
  /** Profile the process's CPU once the server is up, until it stops (BENCH_CPU_PROF). */
  profile?: { dir: string; name: string };
  /** ours: log at `info` (one line per request, as in production) to this file instead of not at all. */
  logFile?: string;
}

export interface Started {
  url: string;
  wsUrl: string;
  /** ours: "in-process" or "redis". */
  pubsub?: string;
}

export interface ServerStats {
  /** Open sockets (ours: authenticated windows). */
  sockets: number;
  /** Live subscribers of each stream (ours) or channel (baseline) asked for. */
  live: number[];
  /** The process's heap, to check nothing leaks (MB). */
  heapMb: number;
}

export interface ServerCpu {
  cpuUs: number;
  gcUs: number;
  /** ours: SQL statements of requests and the work they trigger (background jobs left out). */
  statements: number;
}

let ours: TandemServer | undefined;
let baseline: BaselineWsServer | undefined;
let stopApollo: (() => Promise<void>) | undefined;
let oneWrite: OneWriteServer | undefined;
const gc = startGcClock();
const collectGarbage = (globalThis as { gc?: () => void }).gc;

let profile: CpuProfile | undefined;

async function start(args: StartArgs): Promise<Started> {
  const started = await startKind(args);
  if (args.profile) profile = await CpuProfile.start(args.profile.dir, args.profile.name);
  return started;
}

async function startKind(args: StartArgs): Promise<Started> {
  if (args.kind === 'ours') {
    if (!args.databaseUrl) throw new Error('ours needs a databaseUrl');
    const config = {
      ...benchConfig(),
      port: 0,
      host: '127.0.0.1',
      logLevel: args.logFile ? ('info' as const) : ('silent' as const),
      redisUrl: args.redisUrl,
      ...(args.maxSockets ? { maxSockets: args.maxSockets } : {}),
      ...(args.lockTtlSeconds ? { lockTtlSeconds: args.lockTtlSeconds } : {}),
    };
    const logger = createLogger(config.logLevel, args.logFile ? { file: args.logFile } : {});
    ours = await startServer({ config, databaseUrl: args.databaseUrl, logger });
    return { url: ours.url, wsUrl: ours.wsUrl, pubsub: ours.pubsub.kind };
  }
  if (args.kind === 'baseline-ws') {
    baseline = await startBaselineWsServer();
    return { url: '', wsUrl: baseline.wsUrl };
  }
  if (args.kind === 'one-write') {
    if (!args.databaseUrl) throw new Error('one-write needs a databaseUrl');
    oneWrite = await startOneWriteServer(args.databaseUrl, args.connections ?? 10);
    return { url: oneWrite.url, wsUrl: oneWrite.wsUrl };
  }
  const apollo = await startBareApollo();
  stopApollo = apollo.stop;
  const { url } = apollo;
  return { url, wsUrl: '' };
}

function stats({ streams = [] }: { streams?: string[] }): ServerStats {
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  if (ours) {
    const server = ours;
    return {
      sockets: server.sessions.size,
      live: streams.map((stream) => server.hub.liveSubscribers(stream)),
      heapMb,
    };
  }
  if (baseline) {
    const server = baseline;
    return {
      sockets: server.sockets(),
      live: streams.map((channel) => server.subscribers(channel)),
      heapMb,
    };
  }
  return { sockets: 0, live: [], heapMb };
}

async function stop(): Promise<void> {
  await profile?.stop();
  profile = undefined;
  const stopping = [ours?.stop(), baseline?.stop(), stopApollo?.(), oneWrite?.stop()];
  ours = baseline = stopApollo = oneWrite = undefined;
  await Promise.allSettled(stopping);
}

serveParent(
  {
    start,
    stats,
    publish: ({ channel, event }: { channel: string; event: BaselineEvent }): number => {
      if (!baseline) throw new Error('publish is for the baseline');
      return baseline.publish(channel, event);
    },
    cpu: (): ServerCpu => ({
      cpuUs: ownCpuUs(),
      gcUs: gc.totalUs(),
      statements: ours ? statementCounter(ours.dataSource).count : 0,
    }),
    /** After two full collections (node --expose-gc), so that growth is what is still held. */
    memory: (): NodeJS.MemoryUsage => {
      collectGarbage?.();
      collectGarbage?.();
      return process.memoryUsage();
    },
    stop,
  },
  stop,
);
