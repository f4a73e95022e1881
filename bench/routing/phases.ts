import os from 'node:os';
import type { Client } from 'pg';
import type { BenchContext } from '../support/benchmark';
import { machineBusyUs, ownCpuUs, processTreeCpuUs, waitForQuietMachine } from '../support/cpu';
import { GraphqlHttp } from '../support/graphql-http';
import { rate } from '../support/report';
import { percentile } from '../support/stats';
import type { Dispatcher } from './agents-worker';
import { type QueueState, type RoutedSpan, queueState, routedSince } from './checks';
import { type ClaimRound, prepareClaimQueue, runClaimLoop } from '../support/baselines/claim-loop';
import type { RoutingOptions } from './options';
import type { ServerProcess } from '../support/server-process';
import type { AgentsProcess } from './processes';
import type { RoutingData } from './seed';

/** What every phase works with. */
export interface Env {
  context: BenchContext;
  options: RoutingOptions;
  databaseUrl: string;
  /** A connection of the benchmark's own to the database, for its checks. */
  db: Client;
  data: RoutingData;
  postmasterPid: number | undefined;
  redisPid: number | undefined;
}

/** One configuration: its instances, the agents' consoles spread over them, the dispatcher. */
export interface Cluster {
  servers: ServerProcess[];
  agents: AgentsProcess;
  dispatcher: Dispatcher;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** No routing for this long while conversations wait: the drain is stuck (a lost event...). */
const STALL_MS = 30_000;
/** How often the drain looks at the inbox (and checks capacity between commits). */
const POLL_MS = 200;
/** Closes at once when the agents close what they kept. */
const CLOSE_CONCURRENCY = 16;

const UPDATE_INBOX = `mutation UpdateInbox($input: UpdateInboxInput!) {
  updateInbox(input: $input) {
    inbox {
      id
    }
  }
}`;

interface Snapshot {
  at: number;
  serverCpuUs: number;
  serverGcUs: number;
  statements: number;
  postgresCpuUs: number;
  agentsCpuUs: number;
  redisCpuUs: number;
  machineBusyUs: number;
  /** Everything this benchmark started descends from its process (Postgres, Redis included). */
  benchTreeUs: number;
  assigned: number;
  duplicates: number;
}

async function snapshot(env: Env, cluster: Cluster): Promise<Snapshot> {
  const [counters, agents] = await Promise.all([
    Promise.all(cluster.servers.map((server) => server.cpu())),
    cluster.agents.stats(),
  ]);
  return {
    at: nowMs(),
    serverCpuUs: counters.reduce((sum, c) => sum + c.cpuUs, 0),
    serverGcUs: counters.reduce((sum, c) => sum + c.gcUs, 0),
    statements: counters.reduce((sum, c) => sum + c.statements, 0),
    postgresCpuUs: env.postmasterPid ? processTreeCpuUs(env.postmasterPid) : Number.NaN,
    agentsCpuUs: agents.cpuUs,
    redisCpuUs: env.redisPid ? processTreeCpuUs(env.redisPid) : Number.NaN,
    machineBusyUs: machineBusyUs(),
    benchTreeUs: processTreeCpuUs(process.pid),
    assigned: agents.assigned,
    duplicates: agents.duplicates,
  };
}

export interface PerRouting {
  serverCpuUs: number;
  serverGcUs: number;
  statements: number;
  postgresCpuUs: number;
  agentsCpuUs: number;
  redisCpuUs: number;
}

/**
 * What frees the capacity a drain routes into: the agents closing each conversation as it
 * arrives (capacity frees one at a time, a close per routing), or the inbox's capacity raised
 * beforehand so that the whole queue fits at once (the agents keep what they get).
 */
export interface DrainMode {
  kind: 'closes' | 'capacity';
  /** The inbox's agent capacity during the drain. */
  capacity: number;
}

export interface DrainFigures {
  instances: number;
  mode: DrainMode;
  queued: number;
  fillSeconds: number;
  span: RoutedSpan;
  /** Routings per second, from the first routing decision's time to the last one's. */
  rate: number;
  /** From the agents' ONLINE requests to the last routing seen (polled), seconds. */
  wallSeconds: number;
  perRouting: PerRouting;
  /** The most open conversations one agent held at any poll (the capacity, at most). */
  mostHeld: number;
  polls: number;
  /** ASSIGNED events the agents received during the drain, and duplicates among them. */
  events: number;
  duplicateEvents: number;
  /** The share of the machine other processes used during the drain. */
  othersShare: number;
  cpus: number;
}

/** Starts `count` conversations while every agent is AWAY: they all wait in the queue. */
export async function fillQueue(env: Env, cluster: Cluster, count: number): Promise<number> {
  const { inboxId } = env.data;
  const before = await queueState(env.db, inboxId);
  const { elapsedMs } = await cluster.agents.startMany(
    cluster.dispatcher,
    count,
    env.options.fillConcurrency,
  );
  const after = await queueState(env.db, inboxId);
  if (after.waiting - before.waiting !== count)
    throw new Error(
      `filling the queue: ${after.waiting - before.waiting} of ${count} conversations wait ` +
        `(the agents should all be AWAY): ${JSON.stringify(after)}`,
    );
  return elapsedMs / 1000;
}

async function dbNow(db: Client): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>('SELECT now() AS now');
  return (rows[0] as { now: Date }).now;
}

/** Waits until no conversation is held and no close is on its way. */
async function settle(env: Env, cluster: Cluster): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [state, agents] = await Promise.all([
      queueState(env.db, env.data.inboxId),
      cluster.agents.stats(),
    ]);
    if (state.held === 0 && agents.closesInFlight === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `conversations still held after the drain: ${JSON.stringify(state)} ${JSON.stringify(agents)}`,
      );
    await pause(100);
  }
}

/**
 * The measured drain: `expected` conversations wait; the agents come ONLINE (all at once, each
 * with its console's HTTP request) and close every conversation as its event arrives, which frees
 * capacity the servers route the next one into. Polls the inbox meanwhile (per-step capacity
 * check). Ends with every conversation closed and the
 * agents ONLINE.
 */
export async function drain(
  env: Env,
  cluster: Cluster,
  expected: number,
  fillSeconds: number,
  mode: DrainMode,
): Promise<DrainFigures> {
  const { inboxId } = env.data;
  await waitForQuietMachine(env.context.log, { maxWaitMs: 30_000 });
  const since = await dbNow(env.db);
  const before = await snapshot(env, cluster);
  await cluster.agents.setClosing(mode.kind === 'closes');
  const started = nowMs();
  const online = cluster.agents.setStatus('ONLINE');
  let mostHeld = 0;
  let polls = 0;
  let lastWaiting = Number.POSITIVE_INFINITY;
  let progressAt = Date.now();
  // Every conversation waiting now was queued for this drain: routed = expected - waiting.
  for (;;) {
    const state: QueueState = await queueState(env.db, inboxId);
    polls += 1;
    mostHeld = Math.max(mostHeld, state.mostHeld);
    if (state.waiting === 0) break;
    if (state.waiting < lastWaiting) progressAt = Date.now();
    lastWaiting = state.waiting;
    if (Date.now() - progressAt > STALL_MS) {
      const agents = await cluster.agents.stats();
      throw new Error(
        `the drain is stuck: ${JSON.stringify(state)}; agents: ${JSON.stringify(agents)}`,
      );
    }
    await pause(POLL_MS);
  }
  const ended = nowMs();
  const after = await snapshot(env, cluster);
  await online;
  if (mode.kind === 'capacity') await closeHeld(env, cluster);
  await settle(env, cluster);
  const span = await routedSince(env.db, inboxId, since);
  const n = span.count;
  const per = (key: keyof PerRouting & keyof Snapshot) => (after[key] - before[key]) / n;
  const elapsedUs = (after.at - before.at) * 1000;
  const others =
    after.machineBusyUs - before.machineBusyUs - (after.benchTreeUs - before.benchTreeUs);
  const cpus = os.cpus().length;
  const seconds =
    span.first && span.last ? (span.last.getTime() - span.first.getTime()) / 1000 : Number.NaN;
  return {
    instances: cluster.servers.length,
    mode,
    queued: expected,
    fillSeconds,
    span,
    rate: n > 1 ? (n - 1) / seconds : Number.NaN,
    wallSeconds: (ended - started) / 1000,
    perRouting: {
      serverCpuUs: per('serverCpuUs'),
      serverGcUs: per('serverGcUs'),
      statements: per('statements'),
      postgresCpuUs: per('postgresCpuUs'),
      agentsCpuUs: per('agentsCpuUs'),
      redisCpuUs: per('redisCpuUs'),
    },
    mostHeld,
    polls,
    events: after.assigned - before.assigned,
    duplicateEvents: after.duplicates - before.duplicates,
    othersShare: Math.max(0, others / (elapsedUs * cpus)),
    cpus,
  };
}

/** The agents close what they kept (their last events may still be on their way). */
async function closeHeld(env: Env, cluster: Cluster): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await cluster.agents.closeHeld(CLOSE_CONCURRENCY);
    const state = await queueState(env.db, env.data.inboxId);
    if (state.held === 0) return;
    if (Date.now() > deadline)
      throw new Error(`conversations still held after closing: ${JSON.stringify(state)}`);
    await pause(100);
  }
}

/** The inbox's agent capacity, set over the API by the dispatcher (an admin). */
export async function setCapacity(env: Env, cluster: Cluster, capacity: number): Promise<void> {
  const admin = new GraphqlHttp(cluster.dispatcher.urls[0] as string, {
    authorization: `Bearer ${env.data.dispatcherToken}`,
  });
  try {
    await admin.ok(
      JSON.stringify({
        query: UPDATE_INBOX,
        variables: { input: { inboxId: env.data.inboxId, agentCapacity: capacity } },
      }),
    );
  } finally {
    admin.close();
  }
}

/** Every agent AWAY (so that the next conversations queue), nothing held. */
export async function stepAway(env: Env, cluster: Cluster): Promise<void> {
  await cluster.agents.setStatus('AWAY');
  await settle(env, cluster);
}

export interface LatencyFigures {
  instances: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  answerP50: number;
  answerP99: number;
  crossInstance: number;
}

/**
 * With the agents ONLINE and nothing waiting: one conversation at a time, from the dispatcher's
 * startConversation request to the ASSIGNED event at the socket of the agent it was routed to
 * (who then closes it, before the next one starts).
 */
export async function measureLatency(env: Env, cluster: Cluster): Promise<LatencyFigures> {
  const { latencyWarmup, latencySamples } = env.options;
  await cluster.agents.setClosing(true);
  const state = await queueState(env.db, env.data.inboxId);
  if (state.waiting || state.held)
    throw new Error(`latency: the inbox should be empty: ${JSON.stringify(state)}`);
  await waitForQuietMachine(env.context.log, { maxWaitMs: 30_000 });
  const result = await cluster.agents.latency(cluster.dispatcher, latencyWarmup + latencySamples);
  await cluster.agents.forgetArrivals();
  const events = Float64Array.from(result.eventMs.slice(latencyWarmup)).sort();
  const answers = Float64Array.from(result.answerMs.slice(latencyWarmup)).sort();
  return {
    instances: cluster.servers.length,
    samples: events.length,
    p50: percentile(events, 50),
    p99: percentile(events, 99),
    max: events[events.length - 1] ?? Number.NaN,
    answerP50: percentile(answers, 50),
    answerP99: percentile(answers, 99),
    crossInstance: result.crossInstance,
  };
}

export interface BaselineFigures extends ClaimRound {
  postgresCpuUsPerClaim: number;
  clientCpuUsPerClaim: number;
}

/** One round of the plain-pg claim loop on a fresh queue table (in the benchmark's database). */
export async function baselineRound(env: Env): Promise<BaselineFigures> {
  const { baselineSeconds, baselineWorkers } = env.options;
  // Enough rows for a fast machine: the loop stops early if they run out.
  await prepareClaimQueue(env.databaseUrl, Math.max(100_000, baselineSeconds * 30_000));
  await waitForQuietMachine(env.context.log, { maxWaitMs: 30_000 });
  const pgBefore = env.postmasterPid ? processTreeCpuUs(env.postmasterPid) : Number.NaN;
  const ownBefore = ownCpuUs();
  const round = await runClaimLoop(env.databaseUrl, {
    workers: baselineWorkers,
    durationMs: baselineSeconds * 1000,
  });
  const pgAfter = env.postmasterPid ? processTreeCpuUs(env.postmasterPid) : Number.NaN;
  env.context.log(
    `baseline: ${rate(round.rate)} claims (${round.claims.toLocaleString('en-US')}, ` +
      `${round.doubleClaims} double claims)`,
  );
  return {
    ...round,
    postgresCpuUsPerClaim: (pgAfter - pgBefore) / round.claims,
    clientCpuUsPerClaim: (ownCpuUs() - ownBefore) / round.claims,
  };
}
