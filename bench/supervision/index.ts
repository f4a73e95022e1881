import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Client } from 'graphql-ws';
import type { Auth } from '../../src/context/auth';
import { startServer } from '../../src/server';
import { Streams } from '../../src/subscriptions/topics';
import { type Benchmark, type BenchContext, parseOptions } from '../support/benchmark';
import { wallMs } from '../support/clock';
import { benchConfig } from '../support/config';
import { waitForQuietMachine } from '../support/cpu';
import { openBenchDatabase } from '../support/postgres';
import { openBenchRedis } from '../support/redis';
import { count, ms, percent, ratio, Report, us } from '../support/report';
import { ChildWorker } from '../support/ipc';
import type { LoopDelay } from '../support/server-host';
import { ServerProcess } from '../support/server-process';
import { median, summarizeLatencies } from '../support/stats';
import { allWithin, follow, openLoop, openSocket, sleep, socketsLost } from './clients';
import { seedSupervision, type SupervisionData } from './seed';
import type { DriveArgs, PublishArgs, Written, WriterStart } from './writer-worker';

const SPEC = {
  rounds: { default: 3, help: 'rounds per variant, alternating' },
  seconds: { default: 10, help: 'seconds of load per round' },
  spied: { default: 100, help: 'spied conversations (one agent each)' },
  'messages-per-second': { default: 2, help: 'messages per spied conversation per second' },
  arrivals: { default: 50, help: 'campaign arrivals per second (monitor)' },
  watchers: { default: 100, help: 'monitor watchers, and fan-out watchers of the access check' },
  events: { default: 60, help: 'fan-out events per round (access check)' },
  parts: { default: 'spy,monitor,access', help: 'the parts to run, comma-separated' },
  writer: {
    default: 'process',
    help: "the spy's writer: 'process' (its own) or 'inline' (the clients' process, as before)",
  },
};
type Options = ReturnType<typeof parseOptions<typeof SPEC>>;
type SpyData = { spy: { message: { id: string; createdAt: string } } };

const SPY = `subscription Spy($agentId: ID) { spy(agentId: $agentId) { seq at message { id body direction createdAt } conversation { id status } actor { kind name } } }`;
const BASELINE = `subscription Events($channel: ID!) { events(channel: $channel) { seq kind at body } }`;
const MONITOR = `subscription Monitor($campaignId: ID!) { campaignMonitorUpdates(campaignId: $campaignId) {
  at waitingCount oldestWaitingSince offered answered abandoned handled serviceLevel averageWaitSeconds averageHandleSeconds
  members { agent { id name } status paused pauseReason activeInteractions { id } } } }`;
const EVENTS = `subscription Events($inboxId: ID!) { conversationEvents(inboxId: $inboxId) { seq kind at message { id body createdAt } conversation { id status } } }`;

/** How long a round's subscriptions may take to be live and to receive their first event. */
const START_TIMEOUT_MS = 120_000;

interface Round {
  latencies: number[];
  serverCpuUs: number;
  /** What the CPU is divided by (messages delivered, updates computed, events). */
  units: number;
  /** The share of the machine busy (others' processes) just before the load started. */
  busy: number;
  /** Spy (ours): from the message's transaction start, i.e. with the store itself. */
  fromStoreStart?: number[];
  /** Writes of the load that failed (e.g. the driver's pool timed out on a saturated machine). */
  failed?: number;
  /** Spy (ours): commit → the event at ours' PubSub, and from there → receipt (ms). */
  hops?: { toServer: number[]; toClient: number[] };
  /** Event-loop delay over the load: the clients' process, the server, the spy's writer. */
  loop: { clients: LoopDelay; server: LoopDelay | null; writer?: LoopDelay };
}

/**
 * One round of any part of this benchmark: what differs between the parts (what is subscribed,
 * how it is brought to its first event, the load, what is measured) is here; `measure` does
 * the rest the same way for all of them.
 */
interface RoundPlan {
  server: ServerProcess;
  /** The round's subscriptions, one per socket, with when each received its first event. */
  follow(): Array<{ first: Promise<void>; stop: () => void }>;
  /**
   * The streams (ours) or channels (the baseline) the subscriptions follow, with the live
   * subscribers each must have before anything is sent: an event sent before a subscription
   * is live never reaches it. Empty when a subscription's first result is its state.
   */
  live: { streams: string[]; each: number };
  /** Sends what gives each subscription its first event, once they are all live. */
  prime?(): Promise<unknown>;
  /** Forgets what priming delivered. */
  reset(): void;
  /** The load measured. */
  drive(): Promise<unknown>;
  /** How long the last deliveries may take after the load. */
  settleMs: number;
  /** The round's latencies and what the server's CPU is divided by. */
  result(): RoundResult | Promise<RoundResult>;
}

/** What a plan measured, with the spy writer's event-loop delay (its own process's). */
type RoundResult = Omit<Round, 'serverCpuUs' | 'busy' | 'loop'> & { writerDelay?: LoopDelay };

/**
 * The measuring loop: subscribe, wait until every subscription is live on the server, prime
 * them (each receives a first event, within a deadline), wait for a quiet machine, read the
 * server's CPU, drive the load, let it settle, read the CPU again; then stop the subscriptions
 * and wait until the server let them go, so that the next round counts only its own.
 */
async function measure(context: BenchContext, plan: RoundPlan): Promise<Round> {
  const followers = plan.follow();
  let round: Round;
  try {
    const { streams, each } = plan.live;
    if (streams.length) await plan.server.waitForLive(streams, each, START_TIMEOUT_MS);
    await plan.prime?.();
    await allWithin(
      followers.map((f) => f.first),
      START_TIMEOUT_MS,
      `${plan.server.name}: first events`,
    );
    plan.reset();
    const busy = await waitForQuietMachine(context.log, { maxWaitMs: 30_000 });
    const before = (await plan.server.cpu()).cpuUs;
    await plan.server.loopDelay();
    const clients = monitorEventLoopDelay({ resolution: 1 });
    clients.enable();
    const from = process.hrtime.bigint();
    await plan.drive();
    await sleep(plan.settleMs);
    clients.disable();
    // The load's window on the monotonic clock, which CPU profiles' timestamps use: a profile's
    // samples of the load alone (`bench/support/profile-breakdown.ts --window`).
    if (process.env.BENCH_CPU_PROF)
      context.log(
        `${plan.server.name}: load window ${from / 1000n}-${process.hrtime.bigint() / 1000n} µs (monotonic)`,
      );
    const serverCpuUs = (await plan.server.cpu()).cpuUs - before;
    const server = await plan.server.loopDelay();
    const { writerDelay, ...result } = await plan.result();
    round = {
      ...result,
      serverCpuUs,
      busy,
      loop: { clients: loopDelayOf(clients), server, writer: writerDelay },
    };
  } finally {
    if (socketsLost.length) {
      context.log(`sockets closed under the run: ${summarizeReasons(socketsLost)}`);
      socketsLost.length = 0;
    }
    for (const f of followers) f.stop();
  }
  await waitUntilLeft(plan.server, plan.live.streams);
  return round;
}

function loopDelayOf(histogram: ReturnType<typeof monitorEventLoopDelay>): LoopDelay {
  return {
    p50: histogram.percentile(50) / 1e6,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
  };
}

/** "3 x socket closed: 1006 , 1 x ..." */
function summarizeReasons(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} x ${reason}`).join(', ');
}

/** Until no subscriber of these streams is left on the server (a stop takes it a moment). */
async function waitUntilLeft(server: ServerProcess, streams: string[]): Promise<void> {
  if (!streams.length || !server.running) return;
  const deadline = Date.now() + 30_000;
  while ((await server.stats(streams)).live.some((live) => live > 0)) {
    if (Date.now() > deadline) throw new Error(`${server.name}: subscribers did not leave`);
    await sleep(50);
  }
}

/** Medians over the rounds of each round's p50 and p99, and the highest max. */
function medianOf(samples: number[][]) {
  const each = samples.map((sample) => summarizeLatencies(sample));
  return {
    p50: median(each.map((s) => s.p50)),
    p99: median(each.map((s) => s.p99)),
    max: Math.max(...each.map((s) => s.max)),
  };
}

/** Medians over the rounds of an event-loop delay (null when not measured). */
function medianDelay(delays: Array<LoopDelay | null | undefined>): LoopDelay | null {
  const measured = delays.filter((delay): delay is LoopDelay => !!delay);
  if (!measured.length) return null;
  return {
    p50: median(measured.map((d) => d.p50)),
    p99: median(measured.map((d) => d.p99)),
    max: Math.max(...measured.map((d) => d.max)),
  };
}

function summarize(rounds: Round[]) {
  return {
    ...medianOf(rounds.map((round) => round.latencies)),
    cpuPerUnit: median(rounds.map((r) => r.serverCpuUs / Math.max(1, r.units))),
    units: median(rounds.map((r) => r.units)),
    failed: rounds.reduce((sum, r) => sum + (r.failed ?? 0), 0),
    busy: Math.max(...rounds.map((r) => r.busy)),
    fromStoreStart: rounds.every((r) => r.fromStoreStart)
      ? medianOf(rounds.map((r) => r.fromStoreStart!))
      : undefined,
    hops: rounds.every((r) => r.hops?.toServer.length)
      ? {
          toServer: medianOf(rounds.map((r) => r.hops!.toServer)),
          toClient: medianOf(rounds.map((r) => r.hops!.toClient)),
        }
      : undefined,
    loop: {
      clients: medianDelay(rounds.map((r) => r.loop.clients)),
      server: medianDelay(rounds.map((r) => r.loop.server)),
      writer: medianDelay(rounds.map((r) => r.loop.writer)),
    },
  };
}

/** A spy feed: ours (`spy(agentId)`) or the bare graphql-ws baseline (`events(channel)`). */
interface SpyFeed {
  server: ServerProcess;
  sockets: Client[];
  /** The stream (ours) or channel (baseline) socket i's subscription follows. */
  streams: string[];
  query: string;
  variables(i: number): Record<string, unknown>;
  /** When the event received was committed (ours) or published (baseline), wall-clock ms. */
  sentAt(data: unknown): number | undefined;
  /** Ours: when the message's transaction started (its `createdAt`). */
  storeStartedAt?(data: unknown): number;
  /** Ours: the message's id, and when each traced message reached ours' PubSub. */
  idOf?(data: unknown): string;
  arrivals?(): Promise<Map<string, number>>;
  /** One message to every subscription. */
  prime(): Promise<unknown>;
  /** `perSecond` messages over the subscriptions in turn for `seconds`, open loop. */
  drive(perSecond: number, seconds: number): Promise<{ failed: number; loopDelay?: LoopDelay }>;
}

/** N subscriptions (one per socket) at `messages-per-second` each, open loop. */
function spyPlan(options: Options, feed: SpyFeed): RoundPlan {
  const received: Array<{ data: unknown; at: number }> = [];
  const n = feed.sockets.length;
  let failed = 0;
  let writer: LoopDelay | undefined;
  return {
    server: feed.server,
    follow: () =>
      feed.sockets.map((socket, i) =>
        follow(socket, feed.query, feed.variables(i), (data, at) => received.push({ data, at })),
      ),
    live: { streams: feed.streams, each: 1 },
    // A spy stream has no snapshot: a first message to each tells it is live end to end.
    prime: () => feed.prime(),
    reset: () => (received.length = 0),
    drive: async () => {
      const outcome = await feed.drive(n * options['messages-per-second'], options.seconds);
      failed = outcome.failed;
      writer = outcome.loopDelay;
    },
    settleMs: 500,
    // Computed once the round is over: the writer's commit is known only once its write returned.
    result: async () => {
      const latencies: number[] = [];
      for (const { data, at } of received) {
        const sent = feed.sentAt(data);
        // Inline writer: the clients and the writer share a process, and a receipt handled
        // before the writer's continuation counts as 0.
        if (sent !== undefined) latencies.push(Math.max(0, at - sent));
      }
      const { storeStartedAt, idOf } = feed;
      const arrivals = await feed.arrivals?.();
      const hops =
        arrivals && idOf ? { toServer: [] as number[], toClient: [] as number[] } : undefined;
      if (hops && arrivals && idOf) {
        for (const { data, at } of received) {
          const sent = feed.sentAt(data);
          const arrived = arrivals.get(idOf(data));
          if (sent === undefined || arrived === undefined) continue;
          // The publish leaves before the write returns: the first hop may be below 0.
          hops.toServer.push(arrived - sent);
          hops.toClient.push(at - arrived);
        }
      }
      return {
        latencies,
        units: received.length,
        failed,
        ...(hops ? { hops } : {}),
        writerDelay: writer,
        ...(storeStartedAt
          ? { fromStoreStart: received.map(({ data, at }) => at - storeStartedAt(data)) }
          : {}),
      };
    },
  };
}

/**
 * Monitor: the sockets' supervisors watch one campaign while customers arrive at `arrivals`/s.
 * Latency: an arrival committed → the first update that counts it (offered), at the last watcher.
 */
function monitorPlan(
  options: Options,
  ours: ServerProcess,
  arrive: () => Promise<unknown>,
  data: SupervisionData,
  sockets: Client[],
): RoundPlan {
  /** When each arrival committed, in the order they did. */
  const committed: number[] = [];
  /** Per watcher: each offered count shown, and when it first arrived. */
  const seen = sockets.map(() => new Map<number, number>());
  let lastOffered = 0;
  let failed = 0;
  let start = 0;
  let updates = 0;
  return {
    server: ours,
    follow: () =>
      sockets.map((socket, w) =>
        follow<{ campaignMonitorUpdates: { offered: number } }>(
          socket,
          MONITOR,
          { campaignId: data.campaign.id },
          ({ campaignMonitorUpdates: { offered } }, receivedAt) => {
            if (w === 0) {
              updates += 1;
              lastOffered = offered;
            }
            if (!seen[w]!.has(offered)) seen[w]!.set(offered, receivedAt);
          },
        ),
      ),
    // Each subscription starts with the figures as they are.
    live: { streams: [], each: 0 },
    reset: () => {
      start = lastOffered;
      updates = 0;
    },
    drive: () =>
      openLoop(options.arrivals, options.seconds, async () => {
        // A failed arrival is not offered: it is left out (counted), not fatal.
        if (
          await arrive().then(
            () => true,
            () => false,
          )
        )
          committed.push(wallMs());
        else failed += 1;
      }),
    // Updates are at most one a second per campaign: the last arrivals are shown within 1-2 s.
    settleMs: 2500,
    result: () => {
      const latencies: number[] = [];
      committed.forEach((at, index) => {
        const place = start + index + 1;
        let last = 0;
        for (const watcher of seen) {
          let shown = Number.POSITIVE_INFINITY;
          for (const [offered, receivedAt] of watcher)
            if (offered >= place && receivedAt < shown) shown = receivedAt;
          last = Math.max(last, shown);
        }
        if (Number.isFinite(last)) latencies.push(Math.max(0, last - at));
      });
      return { latencies, units: updates, failed };
    },
  };
}

/**
 * The access check: one inbox's conversationEvents to the sockets, as agents (each event
 * passes their access check: a notice-count comparison) or as an INTEGRATION key (no check).
 * One message at a time; time: message stored → the last watcher.
 */
function fanoutPlan(
  options: Options,
  ours: ServerProcess,
  post: (body: string) => Promise<unknown>,
  data: SupervisionData,
  sockets: Client[],
): RoundPlan {
  const arrivals = new Map<string, { createdAt: number; last: number; n: number }>();
  return {
    server: ours,
    follow: () =>
      sockets.map((socket) =>
        follow<{ conversationEvents: { message: { body: string; createdAt: string } | null } }>(
          socket,
          EVENTS,
          { inboxId: data.fanout.inboxId },
          ({ conversationEvents: { message } }, receivedAt) => {
            if (!message) return;
            const entry = arrivals.get(message.body) ?? {
              createdAt: Date.parse(message.createdAt),
              last: 0,
              n: 0,
            };
            entry.last = Math.max(entry.last, receivedAt);
            entry.n += 1;
            arrivals.set(message.body, entry);
          },
        ),
      ),
    live: {
      streams: [Streams.inboxConversations(data.organizationId, data.fanout.inboxId)],
      each: sockets.length,
    },
    prime: () => post('ready'),
    reset: () => arrivals.clear(),
    drive: async () => {
      for (let i = 0; i < options.events; i++) {
        const body = `event ${randomUUID()}`;
        await post(body);
        const deadline = Date.now() + 10_000;
        while ((arrivals.get(body)?.n ?? 0) < sockets.length && Date.now() < deadline)
          await sleep(2);
      }
    },
    settleMs: 0,
    result: () => {
      const complete = [...arrivals.values()].filter((a) => a.n === sockets.length);
      return {
        latencies: complete.map((a) => a.last - a.createdAt),
        units: complete.length * sockets.length,
      };
    },
  };
}

/** The spy's writer (`writer-worker.ts`), stopped when the benchmark ends. */
async function startWriter(context: BenchContext): Promise<ChildWorker> {
  const worker = await ChildWorker.fork('spy writer', path.join(__dirname, 'writer-worker.ts'));
  context.defer(() => worker.stop());
  return worker;
}

export const benchmark: Benchmark = {
  summary:
    'supervision: spy receipt vs bare graphql-ws, live campaign monitor (1 vs N watchers), the per-event access check (with and without)',

  async run(context) {
    const options = parseOptions(context.args, SPEC);
    const database = await openBenchDatabase(context);
    const redis = await openBenchRedis(context);
    // The driver writes messages and arrivals through the services (its events cross Redis to
    // ours, in a process of its own, which the clients watch).
    const config = {
      ...benchConfig(),
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent' as const,
      redisUrl: redis.url,
    };
    const driver = await startServer({ config, databaseUrl: database.url });
    context.defer(() => driver.stop());
    context.log('seeding through the services');
    const data = await seedSupervision(driver, { spied: options.spied, watcherAgents: 10 });
    const ours = await ServerProcess.start(context, 'ours', {
      kind: 'ours',
      databaseUrl: database.url,
      redisUrl: redis.url,
    });
    const baseline = await ServerProcess.start(context, 'bare graphql-ws', { kind: 'baseline-ws' });
    // BENCH_BEFORE_TREE=<dir>: another copy of the repository (an earlier commit's src/) runs as
    // "before" beside ours, on the same database, Redis and load (spy and monitor).
    const beforeTree = process.env.BENCH_BEFORE_TREE;
    const before = beforeTree
      ? await ServerProcess.start(
          context,
          'ours before',
          { kind: 'ours', databaseUrl: database.url, redisUrl: redis.url },
          beforeTree,
        )
      : undefined;
    const adminAuth = (await driver.services.auth.authenticate(data.adminToken)) as Auth;
    const post = (conversationId: string, body: string) =>
      driver.services.messages.postCustomerMessage(adminAuth, conversationId, body);
    const body = 'Hello, I am still waiting for my refund; could you check the order, please?';
    // Our event's JSON, for the baseline's payload size.
    const sample = JSON.stringify({
      spy: {
        seq: 1,
        at: new Date().toISOString(),
        message: {
          id: randomUUID(),
          body,
          direction: 'INCOMING',
          createdAt: new Date().toISOString(),
        },
        conversation: { id: randomUUID(), status: 'OPEN' },
        actor: { kind: 'CUSTOMER', name: 'Customer 1' },
      },
    });

    const parts = new Set(options.parts.split(',').map((part) => part.trim()));
    const figures: Figures = {};

    // ---- spy
    if (parts.has('spy')) {
      const writer = options.writer === 'inline' ? undefined : await startWriter(context);
      await writer?.call('start', {
        databaseUrl: database.url,
        redisUrl: redis.url,
        adminToken: data.adminToken,
      } satisfies WriterStart);
      context.log(
        `spy: ${options.spied} spied agents x ${options['messages-per-second']} msg/s, writer ${writer ? 'in a process of its own' : 'inline'}`,
      );
      const spySockets = await Promise.all(
        data.spied.map(() => openSocket(ours.wsUrl, data.supervisorToken)),
      );
      const beforeSockets = before
        ? await Promise.all(data.spied.map(() => openSocket(before.wsUrl, data.supervisorToken)))
        : [];
      const baselineSockets = await Promise.all(
        data.spied.map(() => openSocket(baseline.wsUrl, 'Bearer bench')),
      );
      const streams = data.spied.map(({ agentId }) =>
        Streams.staffMessages(data.organizationId, agentId),
      );
      await ours.trace(streams);
      await before?.trace(streams);
      /** When the writer's write of each message returned (committed), wall-clock ms. */
      const committed = new Map<string, number>();
      const conversationIds = data.spied.map((spied) => spied.conversationId);
      const send = async (i: number) => {
        const message = await post(conversationIds[i]!, body);
        committed.set(message.id, wallMs());
      };
      const spyFeedOf = (server: ServerProcess, sockets: Client[]): SpyFeed => ({
        server,
        sockets,
        streams,
        query: SPY,
        variables: (i) => ({ agentId: data.spied[i]!.agentId }),
        sentAt: (event) => committed.get((event as SpyData).spy.message.id),
        storeStartedAt: (event) => Date.parse((event as SpyData).spy.message.createdAt),
        idOf: (event) => (event as SpyData).spy.message.id,
        arrivals: async () => new Map(await server.arrivals()),
        prime: async () => {
          if (!writer) return Promise.all(conversationIds.map((_, i) => send(i)));
          const written = await writer.call<Written['committed']>('prime', {
            conversationIds,
            body,
          });
          for (const [id, at] of written) committed.set(id, at);
        },
        drive: async (perSecond, seconds) => {
          if (!writer) {
            let failed = 0;
            await openLoop(perSecond, seconds, (k) =>
              send(k % conversationIds.length).catch(() => (failed += 1)),
            );
            return { failed };
          }
          const written = await writer.call<Written>('drive', {
            conversationIds,
            perSecond,
            seconds,
            body,
          } satisfies DriveArgs);
          for (const [id, at] of written.committed) committed.set(id, at);
          return { failed: written.failed, loopDelay: written.loopDelay };
        },
      });
      const ourFeed = spyFeedOf(ours, spySockets);
      const beforeFeed = before ? spyFeedOf(before, beforeSockets) : undefined;
      const pad = 'x'.repeat(Math.max(0, sample.length - 120));
      let seq = 0;
      /** When the baseline's publish of each seq was asked for, wall-clock ms. */
      const published = new Map<number, number>();
      const publish = (i: number) => {
        const next = seq++;
        published.set(next, wallMs());
        return baseline.publish(`spy-${i}`, {
          seq: next,
          kind: 'MESSAGE',
          at: new Date().toISOString(),
          body: pad,
        });
      };
      const bareFeed: SpyFeed = {
        server: baseline,
        sockets: baselineSockets,
        streams: baselineSockets.map((_, i) => `spy-${i}`),
        query: BASELINE,
        variables: (i) => ({ channel: `spy-${i}` }),
        sentAt: (event) => published.get((event as { events: { seq: number } }).events.seq),
        prime: () => Promise.all(baselineSockets.map((_, i) => publish(i))),
        drive: async (perSecond, seconds) => {
          await openLoop(perSecond, seconds, (k) => publish(k % baselineSockets.length));
          return { failed: 0 };
        },
      };
      // The floor: the same bare server fed through Redis by the writer's process, as ours is
      // (a process hop and Redis, which the in-process publish of the baseline above skips).
      const floor = writer
        ? await ServerProcess.start(context, 'bare graphql-ws through Redis', {
            kind: 'baseline-ws',
            redisUrl: redis.url,
          })
        : undefined;
      const floorSockets = floor
        ? await Promise.all(data.spied.map(() => openSocket(floor.wsUrl, 'Bearer bench')))
        : [];
      const floorChannels = floorSockets.map((_, i) => `floor-${i}`);
      /** When the writer published each of the floor's seqs, wall-clock ms. */
      const floorSent = new Map<number, number>();
      const floorFeed: SpyFeed | undefined =
        floor && writer
          ? {
              server: floor,
              sockets: floorSockets,
              streams: floorChannels,
              query: BASELINE,
              variables: (i) => ({ channel: floorChannels[i] }),
              sentAt: (event) => floorSent.get((event as { events: { seq: number } }).events.seq),
              prime: async () => {
                const sent = await writer.call<Array<[number, number]>>('primeBare', {
                  channels: floorChannels,
                  body: pad,
                });
                for (const [sentSeq, at] of sent) floorSent.set(sentSeq, at);
              },
              drive: async (perSecond, seconds) => {
                const { sent, failed } = await writer.call<{
                  sent: Array<[number, number]>;
                  failed: number;
                }>('driveBare', {
                  channels: floorChannels,
                  conversationIds,
                  message: body,
                  perSecond,
                  seconds,
                  body: pad,
                } satisfies PublishArgs);
                for (const [sentSeq, at] of sent) floorSent.set(sentSeq, at);
                return { failed };
              },
            }
          : undefined;
      const ourSpy: Round[] = [];
      const bareSpy: Round[] = [];
      const floorSpy: Round[] = [];
      const beforeSpy: Round[] = [];
      for (let round = 0; round < options.rounds; round++) {
        ourSpy.push(await measure(context, spyPlan(options, ourFeed)));
        if (beforeFeed) beforeSpy.push(await measure(context, spyPlan(options, beforeFeed)));
        bareSpy.push(await measure(context, spyPlan(options, bareFeed)));
        if (floorFeed) floorSpy.push(await measure(context, spyPlan(options, floorFeed)));
      }
      for (const socket of [...spySockets, ...beforeSockets, ...baselineSockets, ...floorSockets])
        await socket.dispose();
      await before?.untrace();
      await floor?.stop();
      await ours.untrace();
      await writer?.stop();
      figures.spy = {
        ours: summarize(ourSpy),
        bare: summarize(bareSpy),
        floor: floorSpy.length ? summarize(floorSpy) : undefined,
        before: beforeSpy.length ? summarize(beforeSpy) : undefined,
        writer: writer ? 'process' : 'inline',
      };
    }

    // ---- monitor
    if (parts.has('monitor')) {
      let numbers = 0;
      const arrive = () =>
        driver.services.inbound.receive({
          providerId: data.campaign.providerId,
          providerMessageId: `wamid.${randomUUID()}`,
          from: `+3491125${String(numbers++ % 10000).padStart(4, '0')}`,
          to: '+14155550199',
          body: 'Hola',
          providerTimestamp: new Date(),
          contentType: 'text',
        });
      const servers = before ? [ours, before] : [ours];
      /** Per server (ours, before), the rounds of 1 watcher and of N. */
      const monitorOf = servers.map(() => ({ one: [] as Round[], many: [] as Round[] }));
      for (const watchers of [1, options.watchers]) {
        context.log(`monitor: ${watchers} watchers, ${options.arrivals} arrivals/s`);
        const socketsOf = await Promise.all(
          servers.map((server) =>
            Promise.all(
              Array.from({ length: watchers }, () =>
                openSocket(server.wsUrl, data.supervisorToken),
              ),
            ),
          ),
        );
        for (let round = 0; round < options.rounds; round++)
          for (const [i, server] of servers.entries())
            monitorOf[i]![watchers === 1 ? 'one' : 'many'].push(
              await measure(context, monitorPlan(options, server, arrive, data, socketsOf[i]!)),
            );
        for (const socket of socketsOf.flat()) await socket.dispose();
      }
      const [oursOf, beforeOf] = monitorOf.map(({ one, many }) => ({
        one: summarize(one),
        many: summarize(many),
      }));
      figures.monitor = { ...oursOf!, before: beforeOf };
    }

    // ---- the access check
    if (parts.has('access')) {
      context.log(`access check: conversationEvents to ${options.watchers} watchers`);
      const guarded = await Promise.all(
        Array.from({ length: options.watchers }, (_, i) =>
          openSocket(ours.wsUrl, data.fanout.agentTokens[i % data.fanout.agentTokens.length]!),
        ),
      );
      const unguarded = await Promise.all(
        Array.from({ length: options.watchers }, () =>
          openSocket(ours.wsUrl, data.fanout.integrationKey),
        ),
      );
      const fanPost = (text: string) => post(data.fanout.conversationId, text);
      const withCheck: Round[] = [];
      const withoutCheck: Round[] = [];
      for (let round = 0; round < options.rounds; round++) {
        withCheck.push(await measure(context, fanoutPlan(options, ours, fanPost, data, guarded)));
        withoutCheck.push(
          await measure(context, fanoutPlan(options, ours, fanPost, data, unguarded)),
        );
      }
      for (const socket of [...guarded, ...unguarded]) await socket.dispose();
      figures.access = { checked: summarize(withCheck), unchecked: summarize(withoutCheck) };
    }

    return report(options, sample.length, figures);
  },
};

type Summary = ReturnType<typeof summarize>;

/** The machine's busy share before a round's load, the highest of the variant's rounds. */
const BUSY = 'machine busy before';

interface Figures {
  spy?: {
    ours: Summary;
    bare: Summary;
    floor?: Summary;
    /** BENCH_BEFORE_TREE's server. */
    before?: Summary;
    writer: 'process' | 'inline';
  };
  monitor?: { one: Summary; many: Summary; before?: { one: Summary; many: Summary } };
  access?: { checked: Summary; unchecked: Summary };
}

/** "p99 / max" of an event-loop delay. */
const delayCell = (delay: LoopDelay | null) =>
  delay ? `${ms(delay.p99)} / ${ms(delay.max)}` : 'n/a';

function report(options: Options, sampleBytes: number, figures: Figures): Report {
  const out = new Report();
  if (figures.spy) spyReport(out, options, sampleBytes, figures.spy);
  if (figures.monitor) monitorReport(out, options, figures.monitor);
  if (figures.access) accessReport(out, options, figures.access);
  return out;
}

function spyReport(
  out: Report,
  options: Options,
  sampleBytes: number,
  { ours: spyOurs, bare: spyBare, floor, before, writer }: NonNullable<Figures['spy']>,
): void {
  const where =
    writer === 'process'
      ? "written by a writer in a process of its own (a Tandem instance on the same Postgres and Redis, through the services), crossing Redis to ours; the spies' sockets are in the benchmark's process"
      : "written by a driver through the services in the benchmark's process, beside the spies' sockets (`--writer inline`), crossing Redis to ours";
  out
    .heading('Spy: message stored → supervisor receipt')
    .note(
      `${options.spied} agents, each with one conversation a supervisor spies on (\`spy(agentId)\`, one socket per spy), ${options['messages-per-second']} customer messages/s each (${options.spied * options['messages-per-second']}/s), ${where}. ` +
        "Time: the message committed (the writer's write returned) → receipt (wall clock, sub-millisecond), as the baseline's publish → receipt; the last row counts from the message's `createdAt` (its transaction's start: the store itself, a few statements and a commit, which the baseline does not do). " +
        `Baseline: a bare graphql-ws server publishing a payload as long as ours (${sampleBytes} bytes) to as many subscribers at the same rate (publish → receipt). ` +
        (floor
          ? "Floor: the same bare server, its channels fed from Redis by the writer's process, which stores each message as in ours' rounds and publishes once its write returned (that moment → receipt): the same work on the machine, and what crossing from the writing instance to the spies' costs any server. "
          : '') +
        `${options.rounds} rounds of ${options.seconds} s each, alternating; medians of the rounds. PERF.md goal: p99 ≤ 10 ms and ≤ 1.2x the baseline.` +
        (spyOurs.failed
          ? ` **${spyOurs.failed} of the writer's writes failed** over the rounds (not counted: the load was more than the machine wrote).`
          : ''),
    )
    .table(
      ['variant', 'p50', 'p99', 'max', 'received', 'server CPU / message', BUSY],
      [
        [
          'ours (spy), commit → receipt',
          ms(spyOurs.p50),
          ms(spyOurs.p99),
          ms(spyOurs.max),
          count(spyOurs.units),
          us(spyOurs.cpuPerUnit),
          percent(spyOurs.busy),
        ],
        [
          'baseline (bare graphql-ws)',
          ms(spyBare.p50),
          ms(spyBare.p99),
          ms(spyBare.max),
          count(spyBare.units),
          us(spyBare.cpuPerUnit),
          percent(spyBare.busy),
        ],
        [
          'ratio',
          ratio(spyOurs.p50 / spyBare.p50),
          ratio(spyOurs.p99 / spyBare.p99),
          '',
          '',
          ratio(spyOurs.cpuPerUnit / spyBare.cpuPerUnit),
          '',
        ],
        ...(before
          ? [
              [
                "ours before (BENCH_BEFORE_TREE's src/)",
                ms(before.p50),
                ms(before.p99),
                ms(before.max),
                count(before.units),
                us(before.cpuPerUnit),
                percent(before.busy),
              ],
              [
                'ours / before',
                ratio(spyOurs.p50 / before.p50),
                ratio(spyOurs.p99 / before.p99),
                '',
                '',
                ratio(spyOurs.cpuPerUnit / before.cpuPerUnit),
                '',
              ],
            ]
          : []),
        ...(floor
          ? [
              [
                'floor: bare graphql-ws through Redis',
                ms(floor.p50),
                ms(floor.p99),
                ms(floor.max),
                count(floor.units),
                us(floor.cpuPerUnit),
                percent(floor.busy),
              ],
              [
                'ratio to the floor',
                ratio(spyOurs.p50 / floor.p50),
                ratio(spyOurs.p99 / floor.p99),
                '',
                '',
                ratio(spyOurs.cpuPerUnit / floor.cpuPerUnit),
                '',
              ],
            ]
          : []),
        [
          'ours, from the transaction start',
          ms(spyOurs.fromStoreStart?.p50 ?? Number.NaN),
          ms(spyOurs.fromStoreStart?.p99 ?? Number.NaN),
          ms(spyOurs.fromStoreStart?.max ?? Number.NaN),
          '',
          '',
          '',
        ],
      ],
    )
    .note(
      "Where ours' time goes: the commit → the event at ours' PubSub (Redis delivered it; the publish leaves before the write returns, so it can be below 0), and from there → the receipt (the hub, the access guard, the execution, graphql-ws, the socket, the client). " +
        "Event-loop delay over the load (p99 / max, `monitorEventLoopDelay`): how late each process ran what was due; the clients' process holds every spy socket.",
    )
    .table(
      ['', 'p50', 'p99', 'max'],
      [
        [
          "commit → ours' PubSub",
          ms(spyOurs.hops?.toServer.p50 ?? Number.NaN),
          ms(spyOurs.hops?.toServer.p99 ?? Number.NaN),
          ms(spyOurs.hops?.toServer.max ?? Number.NaN),
        ],
        [
          "ours' PubSub → receipt",
          ms(spyOurs.hops?.toClient.p50 ?? Number.NaN),
          ms(spyOurs.hops?.toClient.p99 ?? Number.NaN),
          ms(spyOurs.hops?.toClient.max ?? Number.NaN),
        ],
      ],
    )
    .table(
      ['event-loop delay (p99 / max)', 'clients', 'server', 'writer'],
      [
        [
          'ours',
          delayCell(spyOurs.loop.clients),
          delayCell(spyOurs.loop.server),
          delayCell(spyOurs.loop.writer),
        ],
        ['baseline', delayCell(spyBare.loop.clients), delayCell(spyBare.loop.server), ''],
        ...(floor
          ? [
              [
                'floor',
                delayCell(floor.loop.clients),
                delayCell(floor.loop.server),
                delayCell(floor.loop.writer),
              ],
            ]
          : []),
      ],
    );
}

function monitorReport(
  out: Report,
  options: Options,
  { one, many, before }: NonNullable<Figures['monitor']>,
): void {
  out
    .heading('Live monitor: arrival committed → update at the last watcher')
    .note(
      `Customers arrive in one campaign at ${options.arrivals}/s (the driver's \`InboundService.receive\`), watched by 1, then ${options.watchers}, supervisors' \`campaignMonitorUpdates\`. ` +
        'Time: an arrival committed → the first update counting it (offered) at the last watcher. Updates are at most one a second per campaign by design, so the wait is up to that second plus the computation. ' +
        "Server CPU per update: all of ours' CPU over the round (the events arriving through Redis, the computations, the pushes) over the updates one watcher received. PERF.md goal: an update ≤ 1 s after the change; server CPU per update independent of the watchers." +
        (one.failed + many.failed
          ? ` **${one.failed + many.failed} arrivals failed** over the rounds (left out).`
          : ''),
    )
    .table(
      ['watchers', 'p50', 'p99', 'max', 'updates / round', 'server CPU / update', BUSY],
      [
        [
          '1',
          ms(one.p50),
          ms(one.p99),
          ms(one.max),
          count(one.units),
          us(one.cpuPerUnit),
          percent(one.busy),
        ],
        [
          String(options.watchers),
          ms(many.p50),
          ms(many.p99),
          ms(many.max),
          count(many.units),
          us(many.cpuPerUnit),
          percent(many.busy),
        ],
        [
          'ratio',
          ratio(many.p50 / one.p50),
          ratio(many.p99 / one.p99),
          '',
          '',
          ratio(many.cpuPerUnit / one.cpuPerUnit),
          '',
        ],
        ...(before
          ? [
              [
                'before: 1',
                ms(before.one.p50),
                ms(before.one.p99),
                ms(before.one.max),
                count(before.one.units),
                us(before.one.cpuPerUnit),
                percent(before.one.busy),
              ],
              [
                `before: ${options.watchers}`,
                ms(before.many.p50),
                ms(before.many.p99),
                ms(before.many.max),
                count(before.many.units),
                us(before.many.cpuPerUnit),
                percent(before.many.busy),
              ],
              [
                'before: ratio',
                ratio(before.many.p50 / before.one.p50),
                ratio(before.many.p99 / before.one.p99),
                '',
                '',
                ratio(before.many.cpuPerUnit / before.one.cpuPerUnit),
                '',
              ],
            ]
          : []),
      ],
    );
}

function accessReport(
  out: Report,
  options: Options,
  { checked, unchecked }: NonNullable<Figures['access']>,
): void {
  out
    .heading('The per-event access check: fan-out with and without it')
    .note(
      `\`conversationEvents(inboxId)\` to ${options.watchers} sockets of one inbox, one message at a time (${options.events} per round): as agents (every event passes their stream's access check: a comparison of notice counts) or as an INTEGRATION key (streams of keys have no per-event check; they end when the key is revoked). Time: message \`createdAt\` → the last watcher. Same server, alternating rounds.`,
    )
    .table(
      ['variant', 'p50', 'p99', 'max', 'server CPU / delivered event', BUSY],
      [
        [
          'with the check (agents)',
          ms(checked.p50),
          ms(checked.p99),
          ms(checked.max),
          us(checked.cpuPerUnit),
          percent(checked.busy),
        ],
        [
          'without (integration key)',
          ms(unchecked.p50),
          ms(unchecked.p99),
          ms(unchecked.max),
          us(unchecked.cpuPerUnit),
          percent(unchecked.busy),
        ],
        [
          'ratio',
          ratio(checked.p50 / unchecked.p50),
          ratio(checked.p99 / unchecked.p99),
          '',
          ratio(checked.cpuPerUnit / unchecked.cpuPerUnit),
          '',
        ],
      ],
    );
}
