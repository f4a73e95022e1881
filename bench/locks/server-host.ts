/**
 * A server under test, in a process of its own (forked by ServerProcess): ours (`startServer`),
 * the bare graphql-ws baseline, a bare Apollo Server, or the one-write server (the floor of a
 * lock operation). Its CPU time, heap and RSS are its own,
 * so the parent can read them per event and per socket.
 */
import 'reflect-metadata';
import { PerformanceObserver } from 'node:perf_hooks';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { loadConfig } from '../../src/config';
import { startServer, type TandemServer } from '../../src/server';
import { serveParent } from '../support/ipc';
import { ownCpuUs, startGcClock } from '../support/cpu';
import {
  type BaselineEvent,
  type BaselineWsServer,
  startBaselineWsServer,
} from '../support/baselines/graphql-ws';
import { type OneWriteServer, startOneWriteServer } from '../support/baselines/one-write';
import { profileHandlers } from '../support/profile';

export type ServerKind = 'ours' | 'baseline-ws' | 'apollo' | 'one-write';

export interface StartArgs {
  kind: ServerKind;
  databaseUrl?: string;
  redisUrl?: string;
  maxSockets?: number;
  /** one-write: its Postgres connections. */
  connections?: number;
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
  /** The longest garbage-collection pause since the previous `cpu` call. */
  longestGcMs: number;
}

let ours: TandemServer | undefined;
let baseline: BaselineWsServer | undefined;
let stopApollo: (() => Promise<void>) | undefined;
let oneWrite: OneWriteServer | undefined;
const gc = startGcClock();
let longestGcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longestGcMs = Math.max(longestGcMs, entry.duration);
}).observe({ entryTypes: ['gc'] });
const collectGarbage = (globalThis as { gc?: () => void }).gc;

async function start(args: StartArgs): Promise<Started> {
  if (args.kind === 'ours') {
    if (!args.databaseUrl) throw new Error('ours needs a databaseUrl');
    const config = {
      ...loadConfig({}),
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent' as const,
      redisUrl: args.redisUrl,
      ...(args.maxSockets ? { maxSockets: args.maxSockets } : {}),
    };
    ours = await startServer({ config, databaseUrl: args.databaseUrl });
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
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'world' } },
  });
  const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });
  stopApollo = () => apollo.stop();
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
    cpu: (): ServerCpu => {
      const cpu = { cpuUs: ownCpuUs(), gcUs: gc.totalUs(), longestGcMs };
      longestGcMs = 0;
      return cpu;
    },
    /** After two full collections (node --expose-gc), so that growth is what is still held. */
    memory: (): NodeJS.MemoryUsage => {
      collectGarbage?.();
      collectGarbage?.();
      return process.memoryUsage();
    },
    ...profileHandlers(),
    stop,
  },
  stop,
);
