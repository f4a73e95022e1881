import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import type { Auth } from '../../src/context/auth';
import { startServer } from '../../src/server';
import { type Benchmark, type BenchContext, parseOptions } from '../support/benchmark';
import { benchConfig } from '../support/config';
import { waitForQuietMachine } from '../support/cpu';
import { openBenchDatabase } from '../support/postgres';
import { openBenchRedis } from '../support/redis';
import { count, ms, ratio, Report, us } from '../support/report';
import { ServerProcess } from '../support/server-process';
import { median, summarizeLatencies } from '../support/stats';
import { follow, openLoop, openSocket, sleep } from './clients';
import { seedSupervision, type SupervisionData } from './seed';

const SPEC = {
  rounds: { default: 3, help: 'rounds per variant, alternating' },
  seconds: { default: 10, help: 'seconds of load per round' },
  spied: { default: 100, help: 'spied conversations (one agent each)' },
  'messages-per-second': { default: 2, help: 'messages per spied conversation per second' },
  arrivals: { default: 50, help: 'campaign arrivals per second (monitor)' },
  watchers: { default: 100, help: 'monitor watchers, and fan-out watchers of the access check' },
  events: { default: 60, help: 'fan-out events per round (access check)' },
};

const SPY = `subscription Spy($agentId: ID) { spy(agentId: $agentId) { seq at message { id body direction createdAt } conversation { id status } actor { kind name } } }`;
const BASELINE = `subscription Events($channel: ID!) { events(channel: $channel) { seq kind at body } }`;
const MONITOR = `subscription Monitor($campaignId: ID!) { campaignMonitorUpdates(campaignId: $campaignId) {
  at waitingCount oldestWaitingSince offered answered abandoned handled serviceLevel averageWaitSeconds averageHandleSeconds
  members { agent { id name } status paused pauseReason activeInteractions { id } } } }`;
const EVENTS = `subscription Events($inboxId: ID!) { conversationEvents(inboxId: $inboxId) { seq kind at message { id body createdAt } conversation { id status } } }`;

interface Round {
  latencies: number[];
  serverCpuUs: number;
  /** What the CPU is divided by (messages delivered, updates computed, events). */
  units: number;
}

function summarize(rounds: Round[]) {
  const summaries = rounds.map((round) => summarizeLatencies(round.latencies));
  return {
    p50: median(summaries.map((s) => s.p50)),
    p99: median(summaries.map((s) => s.p99)),
    max: Math.max(...summaries.map((s) => s.max)),
    cpuPerUnit: median(rounds.map((r) => r.serverCpuUs / Math.max(1, r.units))),
    units: median(rounds.map((r) => r.units)),
  };
}

async function cpuOf(server: ServerProcess): Promise<number> {
  return (await server.cpu()).cpuUs;
}

/** Spy: every message of 100 agents' conversations (one supervisor subscription per agent). */
async function spyRound(
  context: BenchContext,
  options: ReturnType<typeof parseOptions<typeof SPEC>>,
  ours: ServerProcess,
  driver: { auth: Auth; post(conversationId: string, body: string): Promise<unknown> },
  data: SupervisionData,
  sockets: Client[],
  body: string,
): Promise<Round> {
  const latencies: number[] = [];
  const subscriptions = data.spied.map(({ agentId }, i) =>
    follow<{ spy: { message: { createdAt: string } } }>(
      sockets[i]!,
      SPY,
      { agentId },
      (event, receivedAt) => latencies.push(receivedAt - Date.parse(event.spy.message.createdAt)),
    ),
  );
  // The spy stream has no snapshot: a first message to each tells it is live.
  await sleep(500);
  await Promise.all(data.spied.map(({ conversationId }) => driver.post(conversationId, 'ready')));
  await Promise.all(subscriptions.map((s) => s.first));
  latencies.length = 0;
  await waitForQuietMachine(context.log, { maxWaitMs: 30_000 });
  const before = await cpuOf(ours);
  const rate = options.spied * options['messages-per-second'];
  await openLoop(rate, options.seconds, (n) =>
    driver.post(data.spied[n % data.spied.length]!.conversationId, body),
  );
  await sleep(500);
  const serverCpuUs = (await cpuOf(ours)) - before;
  for (const s of subscriptions) s.stop();
  return { latencies: [...latencies], serverCpuUs, units: latencies.length };
}

/** The baseline: a bare graphql-ws server publishes a payload as long as ours to 100 subscribers. */
async function spyBaselineRound(
  context: BenchContext,
  options: ReturnType<typeof parseOptions<typeof SPEC>>,
  baseline: ServerProcess,
  sockets: Client[],
  payloadBytes: number,
): Promise<Round> {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const channels = sockets.map((_, i) => `spy-${i}`);
  const pad = 'x'.repeat(Math.max(0, payloadBytes - 120));
  const subscriptions = channels.map((channel, i) =>
    follow<{ events: { seq: number; at: string } }>(
      sockets[i]!,
      BASELINE,
      { channel },
      (event, receivedAt) => latencies.push(receivedAt - Date.parse(event.events.at)),
    ),
  );
  await baseline.waitForLive(channels, 1);
  let seq = 0;
  await Promise.all(
    channels.map((channel) =>
      baseline.publish(channel, {
        seq: seq++,
        kind: 'MESSAGE',
        at: new Date().toISOString(),
        body: pad,
      }),
    ),
  );
  await Promise.all(subscriptions.map((s) => s.first));
  latencies.length = 0;
  sentAt.clear();
  await waitForQuietMachine(context.log, { maxWaitMs: 30_000 });
  const before = await cpuOf(baseline);
  const rate = channels.length * options['messages-per-second'];
  await openLoop(rate, options.seconds, (n) =>
    baseline.publish(channels[n % channels.length]!, {
      seq: seq++,
      kind: 'MESSAGE',
      at: new Date().toISOString(),
      body: pad,
    }),
  );
  await sleep(500);
  const serverCpuUs = (await cpuOf(baseline)) - before;
  for (const s of subscriptions) s.stop();
  return { latencies: [...latencies], serverCpuUs, units: latencies.length };
}

/**
 * Monitor: `watchers` supervisors watch one campaign while customers arrive at `arrivals`/s.
 * Latency: an arrival committed → the first update that counts it, at the last watcher.
 */
async function monitorRound(
  context: BenchContext,
  options: ReturnType<typeof parseOptions<typeof SPEC>>,
  ours: ServerProcess,
  arrive: () => Promise<unknown>,
  data: SupervisionData,
  sockets: Client[],
): Promise<Round> {
  /** When each arrival committed, by its place (offered counts them). */
  const committed: number[] = [];
  const seen = sockets.map(() => new Map<number, number>());
  let baseOffered = -1;
  let updates = 0;
  const subscriptions = sockets.map((socket, w) =>
    follow<{ campaignMonitorUpdates: { offered: number } }>(
      socket,
      MONITOR,
      { campaignId: data.campaign.id },
      ({ campaignMonitorUpdates: { offered } }, receivedAt) => {
        if (w === 0) updates += 1;
        if (!seen[w]!.has(offered)) seen[w]!.set(offered, receivedAt);
        if (baseOffered < 0) baseOffered = offered;
      },
    ),
  );
  await Promise.all(subscriptions.map((s) => s.first));
  await waitForQuietMachine(context.log, { maxWaitMs: 30_000 });
  const start = baseOffered;
  const before = await cpuOf(ours);
  updates = 0;
  await openLoop(options.arrivals, options.seconds, async () => {
    await arrive();
    committed.push(Date.now());
  });
  await sleep(2500);
  const serverCpuUs = (await cpuOf(ours)) - before;
  for (const s of subscriptions) s.stop();
  // An arrival is shown by the first update whose offered count reaches it (at each watcher).
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
  return { latencies, serverCpuUs, units: updates };
}

/**
 * The access check: one inbox's conversationEvents to `watchers` sockets, as agents (each event
 * passes their access check: a notice-count comparison) or as an INTEGRATION key (no check).
 * Time: message stored → the last watcher.
 */
async function fanoutRound(
  context: BenchContext,
  options: ReturnType<typeof parseOptions<typeof SPEC>>,
  ours: ServerProcess,
  post: (body: string) => Promise<unknown>,
  data: SupervisionData,
  sockets: Client[],
): Promise<Round> {
  const arrivals = new Map<string, { createdAt: number; last: number; n: number }>();
  const subscriptions = sockets.map((socket) =>
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
  );
  await sleep(500);
  await post('ready');
  await Promise.all(subscriptions.map((s) => s.first));
  arrivals.clear();
  await waitForQuietMachine(context.log, { maxWaitMs: 30_000 });
  const before = await cpuOf(ours);
  for (let i = 0; i < options.events; i++) {
    const body = `event ${randomUUID()}`;
    await post(body);
    const deadline = Date.now() + 10_000;
    while ((arrivals.get(body)?.n ?? 0) < sockets.length && Date.now() < deadline) await sleep(2);
  }
  const serverCpuUs = (await cpuOf(ours)) - before;
  for (const s of subscriptions) s.stop();
  const complete = [...arrivals.values()].filter((a) => a.n === sockets.length);
  return {
    latencies: complete.map((a) => a.last - a.createdAt),
    serverCpuUs,
    units: complete.length * sockets.length,
  };
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
    const adminAuth = (await driver.services.auth.authenticate(data.adminToken)) as Auth;
    const post = (conversationId: string, body: string) =>
      driver.services.messages.postCustomerMessage(adminAuth, conversationId, body);
    const body = 'Hello, I am still waiting for my refund; could you check the order, please?';

    // ---- spy
    context.log(`spy: ${options.spied} spied agents x ${options['messages-per-second']} msg/s`);
    const spySockets = await Promise.all(
      data.spied.map(() => openSocket(ours.wsUrl, data.supervisorToken)),
    );
    const baselineSockets = await Promise.all(
      data.spied.map(() => openSocket(baseline.wsUrl, 'Bearer bench')),
    );
    const ourSpy: Round[] = [];
    const bareSpy: Round[] = [];
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
    for (let round = 0; round < options.rounds; round++) {
      ourSpy.push(
        await spyRound(context, options, ours, { auth: adminAuth, post }, data, spySockets, body),
      );
      bareSpy.push(
        await spyBaselineRound(context, options, baseline, baselineSockets, sample.length),
      );
    }
    for (const socket of [...spySockets, ...baselineSockets]) await socket.dispose();

    // ---- monitor
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
    const monitorOf: Record<string, Round[]> = {};
    for (const watchers of [1, options.watchers]) {
      context.log(`monitor: ${watchers} watchers, ${options.arrivals} arrivals/s`);
      const sockets = await Promise.all(
        Array.from({ length: watchers }, () => openSocket(ours.wsUrl, data.supervisorToken)),
      );
      const rounds: Round[] = [];
      for (let round = 0; round < options.rounds; round++)
        rounds.push(await monitorRound(context, options, ours, arrive, data, sockets));
      monitorOf[watchers] = rounds;
      for (const socket of sockets) await socket.dispose();
    }

    // ---- the access check
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
      withCheck.push(await fanoutRound(context, options, ours, fanPost, data, guarded));
      withoutCheck.push(await fanoutRound(context, options, ours, fanPost, data, unguarded));
    }
    for (const socket of [...guarded, ...unguarded]) await socket.dispose();

    // ---- report
    const spyOurs = summarize(ourSpy);
    const spyBare = summarize(bareSpy);
    const one = summarize(monitorOf[1]!);
    const many = summarize(monitorOf[options.watchers]!);
    const checked = summarize(withCheck);
    const unchecked = summarize(withoutCheck);
    const report = new Report();
    report
      .heading('Spy: message stored → supervisor receipt')
      .note(
        `${options.spied} agents, each with one conversation a supervisor spies on (\`spy(agentId)\`, one socket per spy), ${options['messages-per-second']} customer messages/s each (${options.spied * options['messages-per-second']}/s), written by a driver process through the services and crossing Redis to ours. ` +
          "Time: the message's `createdAt` (its transaction's start, so the store itself is counted) → receipt (wall clock, ms). " +
          `Baseline: a bare graphql-ws server publishing a payload as long as ours (${sample.length} bytes) to as many subscribers at the same rate (publish → receipt). ` +
          `${options.rounds} rounds of ${options.seconds} s each, alternating; medians of the rounds. PERF.md goal: p99 ≤ 10 ms and ≤ 1.2x the baseline.`,
      )
      .table(
        ['variant', 'p50', 'p99', 'max', 'received', 'server CPU / message'],
        [
          [
            'ours (spy)',
            ms(spyOurs.p50),
            ms(spyOurs.p99),
            ms(spyOurs.max),
            count(spyOurs.units),
            us(spyOurs.cpuPerUnit),
          ],
          [
            'baseline (bare graphql-ws)',
            ms(spyBare.p50),
            ms(spyBare.p99),
            ms(spyBare.max),
            count(spyBare.units),
            us(spyBare.cpuPerUnit),
          ],
          [
            'ratio',
            ratio(spyOurs.p50 / spyBare.p50),
            ratio(spyOurs.p99 / spyBare.p99),
            '',
            '',
            ratio(spyOurs.cpuPerUnit / spyBare.cpuPerUnit),
          ],
        ],
      )
      .heading('Live monitor: arrival committed → update at the last watcher')
      .note(
        `Customers arrive in one campaign at ${options.arrivals}/s (the driver's \`InboundService.receive\`), watched by 1, then ${options.watchers}, supervisors' \`campaignMonitorUpdates\`. ` +
          'Time: an arrival committed → the first update counting it (offered) at the last watcher. Updates are at most one a second per campaign by design, so the wait is up to that second plus the computation. ' +
          "Server CPU per update: all of ours' CPU over the round (the events arriving through Redis, the computations, the pushes) over the updates one watcher received. PERF.md goal: an update ≤ 1 s after the change; server CPU per update independent of the watchers.",
      )
      .table(
        ['watchers', 'p50', 'p99', 'max', 'updates / round', 'server CPU / update'],
        [
          ['1', ms(one.p50), ms(one.p99), ms(one.max), count(one.units), us(one.cpuPerUnit)],
          [
            String(options.watchers),
            ms(many.p50),
            ms(many.p99),
            ms(many.max),
            count(many.units),
            us(many.cpuPerUnit),
          ],
          [
            'ratio',
            ratio(many.p50 / one.p50),
            ratio(many.p99 / one.p99),
            '',
            '',
            ratio(many.cpuPerUnit / one.cpuPerUnit),
          ],
        ],
      )
      .heading('The per-event access check: fan-out with and without it')
      .note(
        `\`conversationEvents(inboxId)\` to ${options.watchers} sockets of one inbox, one message at a time (${options.events} per round): as agents (every event passes their stream's access check: a comparison of notice counts) or as an INTEGRATION key (streams of keys have no per-event check; they end when the key is revoked). Time: message \`createdAt\` → the last watcher. Same server, alternating rounds.`,
      )
      .table(
        ['variant', 'p50', 'p99', 'max', 'server CPU / delivered event'],
        [
          [
            'with the check (agents)',
            ms(checked.p50),
            ms(checked.p99),
            ms(checked.max),
            us(checked.cpuPerUnit),
          ],
          [
            'without (integration key)',
            ms(unchecked.p50),
            ms(unchecked.p99),
            ms(unchecked.max),
            us(unchecked.cpuPerUnit),
          ],
          [
            'ratio',
            ratio(checked.p50 / unchecked.p50),
            ratio(checked.p99 / unchecked.p99),
            '',
            ratio(checked.cpuPerUnit / unchecked.cpuPerUnit),
          ],
        ],
      );
    return report;
  },
};
