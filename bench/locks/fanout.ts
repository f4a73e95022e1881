import os from 'node:os';
import { Streams } from '../../src/subscriptions/topics';
import type { BenchContext } from '../support/benchmark';
import {
  type GcPauses,
  machineBusyUs,
  processTreeCpuUs,
  waitForQuietMachine,
} from '../support/cpu';
import { ms } from '../support/report';
import { percentile } from '../support/stats';
import { GraphqlHttp } from '../support/graphql-http';
import {
  BASELINE_EVENTS,
  OPEN_TICKET,
  RELEASE_TICKET,
  TICKET_LOCK_EVENTS,
  ticketBody,
} from './operations';
import type { ServerProcess } from '../support/server-process';
import type { WatcherProcess } from './processes';
import type { LocksData } from './seed';
import type { Operation } from './watcher-worker';

export type FanoutKey = 'baseline' | 'inProcess' | 'redis' | 'before';

export const VARIANT_NAMES: Record<FanoutKey, string> = {
  baseline: 'baseline (plain graphql-ws)',
  inProcess: 'ours, in-process PubSub',
  redis: 'ours, Redis',
  before: 'before (BENCH_BEFORE_TREE), in-process PubSub',
};

/** What starts one event and when (hrtime, ms); ours also has the mutation's answer. */
interface Action {
  start: number;
  kind: string;
  /** ours: when the openTicket/releaseTicket answer arrived. */
  answered?: Promise<number>;
}

export interface FanoutVariant {
  key: FanoutKey;
  server: ServerProcess;
  watchers: WatcherProcess;
  /** Streams (ours) or channels (baseline) whose live subscribers show the watchers are ready. */
  streams: string[];
  operation: Operation;
  tokens: string[];
  act(): Promise<Action>;
  /** ours: starts noting when each event reaches the server's PubSub (its publish point). */
  prepare?(): Promise<void>;
  /** ours: when (hrtime, ms) event `seq` reached the server's PubSub (null: not known). */
  published?(seq: number): Promise<number | null>;
  close(): void;
}

export interface Sample {
  /** Start → the last watcher. */
  lastMs: number;
  /** Start → the first watcher. */
  firstMs: number;
  /**
   * Start → the event at the server's PubSub: the baseline's start IS its publish (0); ours' is
   * the mutation, its commit and the numbering after it. Absent when not known.
   */
  publishMs?: number;
  /** ours: start → the mutation's answer at the client (after its commit). */
  answerMs?: number;
  /** The server's garbage-collection pauses while this event went out (absent: not known). */
  gc?: GcPauses;
  /** The server's longest event-loop delay while this event went out (ms; absent: not known). */
  loopMaxMs?: number;
}

export interface RoundFigures {
  round: number;
  key: FanoutKey;
  samples: Sample[];
  serverCpuUs: number;
  /** The server's garbage collection over the round: total pause time, and its pauses. */
  serverGcUs: number;
  gcPauses: GcPauses | undefined;
  clientCpuUs: number;
  /** The share of the machine that processes this benchmark did not start kept busy meanwhile. */
  othersShare: number;
}

export interface FanoutStep {
  watchers: number;
  /** Measured events per round and variant. */
  eventsPerRound: number;
  rounds: RoundFigures[];
}

export interface FanoutResult {
  steps: FanoutStep[];
  bytes: Partial<Record<FanoutKey, number>>;
}

export interface FanoutOptions {
  watchers: number[];
  /** Measured events per step and variant; by default `defaultEvents(watchers)`. */
  events: number | undefined;
  rounds: number;
  warmup: number;
  /** Note each server's longest event-loop delay per event (a 1 ms timer in each server). */
  loopDelay: boolean;
}

const CHANNEL = 'inbox';
/** Events are quick up to 1,000 watchers: more of them make a steadier p99 there. */
export const defaultEvents = (watchers: number) => (watchers <= 1000 ? 120 : 60);
const EVENT_TIMEOUT_MS = 60_000;

/** The variant of ours: a window of the fan-out inbox opens, then releases, its ticket. */
export function oursVariant(
  key: 'inProcess' | 'redis' | 'before',
  server: ServerProcess,
  watchers: WatcherProcess,
  data: LocksData,
): FanoutVariant {
  const { inboxId, driver } = data.fanout[key];
  const client = new GraphqlHttp(server.url, {
    authorization: `Bearer ${driver.token}`,
    'x-client-session': driver.sessionId,
  });
  const open = ticketBody(OPEN_TICKET, driver.ticketId);
  const release = ticketBody(RELEASE_TICKET, driver.ticketId);
  let opening = true;
  return {
    key,
    server,
    watchers,
    streams: [Streams.inboxLocks(data.organizationId, inboxId)],
    operation: { query: TICKET_LOCK_EVENTS, variables: { inboxId } },
    tokens: data.watcherTokens,
    prepare: () => server.traceSeqs([Streams.inboxLocks(data.organizationId, inboxId)]),
    published: (seq) => server.seqArrival(seq),
    act: async () => {
      const kind = opening ? 'LOCKED' : 'RELEASED';
      const body = opening ? open : release;
      opening = !opening;
      const start = nowMs();
      const answered = client.ok(body).then((answer) => {
        const at = nowMs();
        const acquired = (answer.openTicket as { __typename?: string } | undefined)?.__typename;
        const released = (answer.releaseTicket as { released?: boolean } | undefined)?.released;
        if (kind === 'LOCKED' && acquired !== 'TicketLockAcquired')
          throw new Error(`openTicket did not acquire: ${JSON.stringify(answer)}`);
        if (kind === 'RELEASED' && released !== true)
          throw new Error(`releaseTicket did not release: ${JSON.stringify(answer)}`);
        return at;
      });
      return { start, kind, answered };
    },
    close: () => client.close(),
  };
}

/** The baseline: the bare graphql-ws server publishes a payload as large as our event. */
export function baselineVariant(
  server: ServerProcess,
  watchers: WatcherProcess,
  tokens: string[],
  bodyLength: () => number,
): FanoutVariant {
  let seq = 0;
  return {
    key: 'baseline',
    server,
    watchers,
    streams: [CHANNEL],
    operation: { query: BASELINE_EVENTS, variables: { channel: CHANNEL } },
    tokens,
    act: async () => {
      seq += 1;
      const kind = seq % 2 ? 'LOCKED' : 'RELEASED';
      const event = { seq, kind, at: new Date().toISOString(), body: 'x'.repeat(bodyLength()) };
      return { start: await server.publish(CHANNEL, event), kind };
    },
    close: () => {},
  };
}

/** The body length that makes the baseline's `data` JSON as long as ours (`targetBytes`). */
export function baselineBodyLength(targetBytes: number): number {
  const empty = JSON.stringify({
    events: { seq: 1000, kind: 'RELEASED', at: new Date().toISOString(), body: '' },
  });
  return Math.max(0, targetBytes - empty.length);
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * One event through a variant: start it, wait until every watcher has it; then (outside the
 * measured time) when it reached the server's PubSub and the server's GC pauses meanwhile.
 */
async function measureOne(
  variant: FanoutVariant,
  loopDelay = false,
): Promise<Sample & { bytes: number }> {
  const action = await variant.act();
  const receipt = await variant.watchers.nextReceipt(EVENT_TIMEOUT_MS);
  const answered = await action.answered;
  if (receipt.kind !== action.kind) {
    throw new Error(`${variant.key}: expected a ${action.kind} event, got ${receipt.kind}`);
  }
  // An earlier tree's server may not answer these (older bench/support): then unknown.
  const [published, gc, loop] = await Promise.all([
    variant.key === 'baseline'
      ? action.start
      : (variant.published?.(receipt.seq).catch(() => null) ?? null),
    variant.server.gcPauses().catch(() => undefined),
    loopDelay ? variant.server.loopDelay().catch(() => null) : null,
  ]);
  return {
    lastMs: receipt.last - action.start,
    firstMs: receipt.first - action.start,
    ...(published === null ? {} : { publishMs: published - action.start }),
    ...(answered === undefined ? {} : { answerMs: answered - action.start }),
    gc,
    ...(loop ? { loopMaxMs: loop.max } : {}),
    bytes: receipt.bytes,
  };
}

/** The pauses of a round: its events' pauses added up (undefined when none is known). */
function addPauses(samples: Sample[]): GcPauses | undefined {
  const known = samples.flatMap((sample) => (sample.gc ? [sample.gc] : []));
  if (known.length === 0) return undefined;
  return known.reduce((sum, gc) => ({
    count: sum.count + gc.count,
    maxMs: Math.max(sum.maxMs, gc.maxMs),
    over10ms: sum.over10ms + gc.over10ms,
    minorMs: sum.minorMs + gc.minorMs,
    majorMs: sum.majorMs + gc.majorMs,
  }));
}

async function measureRound(
  context: BenchContext,
  variant: FanoutVariant,
  round: number,
  events: number,
  loopDelay: boolean,
): Promise<RoundFigures> {
  // The machine may be shared (someone's tests): start each round on a quiet one.
  await waitForQuietMachine(context.log, { maxWaitMs: 30_000 });
  variant.watchers.discardReceipts();
  const [serverBefore, clientBefore] = await Promise.all([
    variant.server.cpu(),
    variant.watchers.cpuUs(),
  ]);
  // Everything this benchmark started (servers, watchers, Postgres, Redis) descends from it.
  // An earlier tree's server may not count its pauses (older bench/support): then none.
  // Each event takes the pauses since the one before (measureOne): start the round afresh.
  await variant.server.gcPauses().catch(() => undefined);
  const machineBefore = { busy: machineBusyUs(), ours: processTreeCpuUs(process.pid), at: nowMs() };
  const samples: Sample[] = [];
  for (let n = 0; n < events; n++) samples.push(await measureOne(variant, loopDelay));
  const others =
    machineBusyUs() - machineBefore.busy - (processTreeCpuUs(process.pid) - machineBefore.ours);
  const elapsedUs = (nowMs() - machineBefore.at) * 1000;
  const [serverAfter, clientAfter] = await Promise.all([
    variant.server.cpu(),
    variant.watchers.cpuUs(),
  ]);
  const gcPauses = addPauses(samples);
  return {
    round,
    key: variant.key,
    samples,
    serverCpuUs: serverAfter.cpuUs - serverBefore.cpuUs,
    serverGcUs: serverAfter.gcUs - serverBefore.gcUs,
    gcPauses,
    clientCpuUs: clientAfter - clientBefore,
    othersShare: Math.max(0, others / (elapsedUs * os.cpus().length)),
  };
}

/** Brings a variant to `count` watchers (adding sockets); answers the seconds it took. */
async function growTo(variant: FanoutVariant, count: number, current: number): Promise<number> {
  const add = count - current;
  if (add <= 0) return 0;
  const outcome = await variant.watchers.connect(
    variant.server.wsUrl,
    variant.tokens,
    add,
    [variant.operation],
    100,
  );
  if (outcome.connected !== add) {
    throw new Error(
      `${variant.key}: ${outcome.connected} of ${add} watchers connected; refused: ` +
        `${JSON.stringify(outcome.refused)} ${outcome.refusedReasons.join('; ')}`,
    );
  }
  await variant.server.waitForLive(variant.streams, count);
  return outcome.elapsedMs / 1000;
}

export const p50 = (values: number[]) => percentile(Float64Array.from(values).sort(), 50);
export const p99 = (values: number[]) => percentile(Float64Array.from(values).sort(), 99);

/**
 * Part 1. The variants' watchers grow step by step (100, then 1,000, ...); at each step every
 * variant is warmed up, then measured in rounds, alternating, while all sockets stay open. The
 * first event of ours gives the payload size the baseline then publishes. A step's figures are
 * added to `result` once the step is complete.
 */
export async function runFanout(
  context: BenchContext,
  variants: FanoutVariant[],
  options: FanoutOptions,
  setBaselineBytes: (bytes: number) => void,
  /** Filled step by step: what was measured stays there should a later step fail. */
  result: FanoutResult,
): Promise<void> {
  // Even, so that ours' window ends each round without its ticket.
  const perRound = (watchers: number) =>
    Math.max(2, 2 * Math.ceil((options.events ?? defaultEvents(watchers)) / options.rounds / 2));
  const connected = new Map<FanoutKey, number>();
  for (const variant of variants) await variant.prepare?.().catch(() => undefined);
  const ours = variants.filter((variant) => variant.key !== 'baseline');
  // Baseline last, once ours told it the size.
  const ordered = [...ours, ...variants.filter((variant) => variant.key === 'baseline')];
  for (const [index, watchers] of options.watchers.entries()) {
    const step: FanoutStep = {
      watchers,
      eventsPerRound: perRound(watchers),
      rounds: [],
    };
    for (const variant of ordered) {
      context.log(`fan-out: ${VARIANT_NAMES[variant.key]}: connecting up to ${watchers} watchers`);
      await growTo(variant, watchers, connected.get(variant.key) ?? 0);
      connected.set(variant.key, watchers);
      variant.watchers.discardReceipts();
      const warmup = index === 0 ? Math.max(options.warmup, 2) : options.warmup;
      for (let n = 0; n < warmup + (warmup % 2); n++) {
        const { bytes } = await measureOne(variant, options.loopDelay);
        if (result.bytes[variant.key] === undefined) {
          result.bytes[variant.key] = bytes;
          if (
            variant.key === 'inProcess' ||
            (variant.key !== 'baseline' && result.bytes.inProcess === undefined)
          )
            setBaselineBytes(bytes);
        }
      }
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const variant of variants) {
        const figures = await measureRound(
          context,
          variant,
          round,
          step.eventsPerRound,
          options.loopDelay,
        );
        step.rounds.push(figures);
        const last = figures.samples.map((sample) => sample.lastMs);
        context.log(
          `fan-out ${watchers} watchers, round ${round}/${options.rounds}, ` +
            `${VARIANT_NAMES[variant.key]}: p50 ${ms(p50(last))}, p99 ${ms(p99(last))}`,
        );
      }
    }
    result.steps.push(step);
  }
}
