import { benchConfig } from './config';
/**
 * A server under test, in a process of its own (forked by ServerProcess): ours (`startServer`,
 * `benchConfig()`, port 0, log level silent), the bare graphql-ws baseline, a bare Apollo Server
 * or the one-write floor. Its CPU time, GC, SQL statements and memory are its own, so the parent
 * can read them per request, per event and per socket.
 */
import 'reflect-metadata';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { statementCounter } from '../../src/db/data-source';
import { createLogger } from '../../src/logger';
import { startServer, type TandemServer } from '../../src/server';
import { startBareApollo } from './baselines/apollo';
import { wallMs } from './clock';
import { CpuProfile } from './cpu-profile';
import { serveParent } from './ipc';
import { type GcPauses, ownCpuUs, startGcClock } from './cpu';
import {
  type BaselineEvent,
  type BaselineWsServer,
  startBaselineWsServer,
} from './baselines/graphql-ws';
import { type OneWriteServer, startOneWriteServer } from './baselines/one-write';
import { LockFloorCore, serveLockFloorOverHttp } from './baselines/lock-floor';
import { serveLockFloorOverWs } from './baselines/lock-floor-ws';

export type ServerKind = 'ours' | 'baseline-ws' | 'apollo' | 'one-write' | 'lock-floor';

export interface StartArgs {
  kind: ServerKind;
  databaseUrl?: string;
  redisUrl?: string;
  maxSockets?: number;
  lockTtlSeconds?: number;
  /** one-write, lock-floor: its Postgres connections. */
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

/** The event loop's delay since the last `loopDelay` reset (ms): how late this process ran what was due. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}
let delay: IntervalHistogram | undefined;

/**
 * ours: when events of traced streams reached this instance's PubSub (wall clock, ms), by the id
 * of the message they carry: where the time between a commit and a receipt went.
 */
const arrivals = new Map<string, number>();
/**
 * ours: when each event of the streams traced by seq reached this instance's PubSub (hrtime, ms,
 * as the fan-out's start and receipts): the point the baseline's clock starts at (its publish).
 */
const seqArrivals = new Map<number, number>();
const traces: Array<Promise<number>> = [];
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

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
    baseline = await startBaselineWsServer({ redisUrl: args.redisUrl });
    return { url: '', wsUrl: baseline.wsUrl };
  }
  if (args.kind === 'one-write') {
    if (!args.databaseUrl) throw new Error('one-write needs a databaseUrl');
    oneWrite = await startOneWriteServer(args.databaseUrl, args.connections ?? 10);
    return { url: oneWrite.url, wsUrl: oneWrite.wsUrl };
  }
  if (args.kind === 'lock-floor') {
    if (!args.databaseUrl) throw new Error('lock-floor needs a databaseUrl');
    // Over HTTP and over graphql-ws, on one pool and one numbering, as ours serves both.
    const core = new LockFloorCore(
      args.databaseUrl,
      args.connections ?? 10,
      args.lockTtlSeconds ?? benchConfig().lockTtlSeconds,
    );
    const [overHttp, overWs] = await Promise.all([
      serveLockFloorOverHttp(core),
      serveLockFloorOverWs(core),
    ]);
    stopApollo = async () => {
      await Promise.all([overHttp.stop(), overWs.stop()]);
      await core.stop();
    };
    return { url: overHttp.url, wsUrl: overWs.wsUrl };
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
    /** Starts measuring the event loop's delay anew and answers it since the last call. */
    loopDelay: (): LoopDelay | null => {
      const last = delay;
      delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      if (!last) return null;
      last.disable();
      return {
        p50: last.percentile(50) / 1e6,
        p99: last.percentile(99) / 1e6,
        max: last.max / 1e6,
      };
    },
    /** ours: records when each message event of these streams arrives (see `arrivals`). */
    trace: async ({ streams }: { streams: string[] }): Promise<void> => {
      if (!ours) throw new Error('trace is for ours');
      const server = ours;
      for (const stream of streams)
        traces.push(
          server.pubsub.subscribe(stream, (event) => {
            const id = (event as { payload?: { message?: { id?: string } } }).payload?.message?.id;
            if (id) arrivals.set(id, wallMs());
          }),
        );
      await Promise.all(traces);
    },
    /** ours: records when each event of these streams arrives, by its seq (see `seqArrivals`). */
    traceSeqs: async ({ streams }: { streams: string[] }): Promise<void> => {
      if (!ours) throw new Error('traceSeqs is for ours');
      const server = ours;
      for (const stream of streams)
        traces.push(
          server.pubsub.subscribe(stream, (event) => {
            const seq = (event as { seq?: unknown }).seq;
            if (typeof seq === 'number') seqArrivals.set(seq, hrMs());
          }),
        );
      await Promise.all(traces);
    },
    /** The arrival (hrtime, ms) of the event `seq` of the streams traced by seq, if it came. */
    seqArrival: ({ seq }: { seq: number }): number | null => {
      const at = seqArrivals.get(seq) ?? null;
      seqArrivals.clear();
      return at;
    },
    untrace: async (): Promise<void> => {
      for (const id of await Promise.all(traces.splice(0))) ours?.pubsub.unsubscribe(id);
      arrivals.clear();
      seqArrivals.clear();
    },
    /** The arrivals traced since the last call. */
    arrivals: (): Array<[string, number]> => {
      const recorded = [...arrivals];
      arrivals.clear();
      return recorded;
    },
    cpu: (): ServerCpu => ({
      cpuUs: ownCpuUs(),
      gcUs: gc.totalUs(),
      statements: ours ? statementCounter(ours.dataSource).count : 0,
    }),
    /** Garbage-collection pauses since the last call (the first: since the process started). */
    gcPauses: (): GcPauses => gc.takePauses(),
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
