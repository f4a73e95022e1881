import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inBackground, StatementCounter, statementCounter } from '../../src/db/data-source';
import type { TandemServer } from '../../src/server';
import { ProviderKind } from '../../src/entities/provider.entity';
import { Role } from '../../src/entities/enums';
import type { ProviderFields } from '../../src/services/provider/provider.service';
import { normalizePhone } from '../../src/services/customer/contact-value';
import { WhatsAppCloudStub } from '../../test/support/providers/whatsapp-cloud-stub';
import type { BenchContext } from '../support/benchmark';
import { ChildWorker } from '../support/ipc';
import { type Report, ms, ratio } from '../support/report';
import { BENCH_PASSWORD, signedIn } from '../support/seeding';
import { median, summarizeLatencies } from '../support/stats';
import { BARE_CHANNEL, type FloorTrace, startBareWebhookServer } from './bare-webhook';
import type { Arrival, SignedWebhook } from './webhook-clients';

export interface WebhookOptions {
  /** The benchmark's database: the floor's tables live beside ours. */
  databaseUrl: string;
  consoles: number;
  arrivals: number;
  burstRate: number;
  burstSeconds: number;
  rounds: number;
}

/** Ours' consoles watch the campaign's queue (C5), as a member's console does. */
const OURS_SUBSCRIPTION = `subscription Arrivals($campaignIds: [ID!]!) {
  queueEvents(campaignIds: $campaignIds) { seq kind campaignId at number waitingSince }
}`;
const BARE_SUBSCRIPTION = `subscription Arrivals($channel: ID!) {
  events(channel: $channel) { seq kind at body }
}`;

/**
 * Signed webhook → ARRIVED at the members' consoles, and webhooks answered under a burst, each
 * against a bare handler verifying the same signature and broadcasting over plain graphql-ws.
 */
export async function runWebhooks(
  context: BenchContext,
  server: TandemServer,
  options: WebhookOptions,
  report: Report,
): Promise<void> {
  const stub = await new WhatsAppCloudStub('+15550002000').start();
  context.defer(() => stub.stop());
  const bare = await startBareWebhookServer(stub.appSecret);
  context.defer(() => bare.stop());
  const floor = await startBareWebhookServer(stub.appSecret, { databaseUrl: options.databaseUrl });
  context.defer(() => floor.stop());

  // A campaign on the stub's number, `consoles` agents its members, each signed in.
  const { services } = server;
  const suffix = randomBytes(3).toString('hex');
  const adminEmail = `admin-${suffix}@webhooks.bench.tandem.test`;
  await services.organizations.create({
    name: `Bench webhooks ${suffix}`,
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const { auth: admin } = await signedIn(server, adminEmail);
  const tokens: string[] = [];
  const memberIds: string[] = [];
  for (let a = 0; a < options.consoles; a++) {
    const email = `member${a}-${suffix}@webhooks.bench.tandem.test`;
    const agent = await services.staff.create(admin, {
      name: `Member ${a}`,
      email,
      password: BENCH_PASSWORD,
      role: Role.AGENT,
    });
    memberIds.push(agent.id);
    tokens.push((await signedIn(server, email)).token);
  }
  const { kind, ...fields } = stub.providerInput('Bench line');
  const provider = await services.providers.create(admin, {
    ...(fields as unknown as ProviderFields & { name: string; accountNumber: string }),
    kind: kind as ProviderKind,
  });
  const campaign = await services.campaigns.create(admin, {
    name: 'Bench arrivals',
    providerId: provider.id,
    maxInteractionsPerAgent: 5,
    serviceLevelSeconds: 30,
    abandonAfterSeconds: 365 * 86_400,
    memberIds,
  });
  const oursUrl = server.url.replace(/\/graphql$/, `/webhooks/providers/${provider.id}`);

  let sequence = 0;
  /**
   * A signed notification of one message from a number never seen: a new interaction, ARRIVED
   * in the queue. The number is the key both sides' consoles read (E.164, as Tandem stores it).
   */
  const webhook = (): SignedWebhook => {
    sequence += 1;
    const from = `+3470${String(sequence).padStart(7, '0')}`;
    const body = stub.inboundBody([{ from, body: `arrival ${suffix} ${sequence}` }]);
    return {
      body,
      key: normalizePhone(from, 'from'),
      headers: { 'x-hub-signature-256': stub.sign(body) },
    };
  };

  const clients = await ChildWorker.fork(
    'webhook clients',
    path.join(__dirname, 'webhook-clients.ts'),
  );
  context.defer(() => clients.stop());
  // The burst's sender in a process of its own: its answer times are not held up by the
  // consoles' process, which receives every event of the burst 50 times over.
  const sender = await ChildWorker.fork(
    'webhook burst sender',
    path.join(__dirname, 'webhook-clients.ts'),
  );
  context.defer(() => sender.stop());
  await clients.call('connect', {
    set: 'ours',
    wsUrl: server.wsUrl,
    connectionParams: tokens.map((token) => ({ authorization: `Bearer ${token}` })),
    query: OURS_SUBSCRIPTION,
    variables: { campaignIds: [campaign.id] },
    keyPath: 'queueEvents.number',
  });
  for (const [set, handler] of [
    ['bare', bare],
    ['floor', floor],
  ] as const) {
    await clients.call('connect', {
      set,
      wsUrl: handler.ws.wsUrl,
      connectionParams: tokens.map(() => ({ authorization: 'bare' })),
      query: BARE_SUBSCRIPTION,
      variables: { channel: BARE_CHANNEL },
      keyPath: 'events.body',
    });
  }
  const targets = { ours: oursUrl, bare: bare.url, floor: floor.url } as const;
  const arrive = async (set: Variant, count: number) => {
    const sent = Array.from({ length: count }, webhook);
    const results = await clients.call<Arrival[]>('arrivals', {
      set,
      url: targets[set],
      webhooks: sent,
      timeoutMs: 15_000,
    });
    return results.map((result, i) => ({ ...result, key: (sent[i] as SignedWebhook).key }));
  };
  // Where ours' time goes, per arrival: when its job began, when its interaction was committed
  // and its ARRIVED handed to the PubSub (the services of the in-process server, wrapped).
  const oursTraces = traceOurs(server);
  context.defer(() => oursTraces.restore());
  const traces: Record<Variant, Map<string, FloorTrace>> = {
    ours: oursTraces.traces,
    floor: floor.traces,
    bare: new Map(),
  };

  // Warm-up (subscriptions live, code paths hot), then alternating rounds.
  context.log(`webhook → ${options.consoles} consoles: warming up`);
  for (const set of VARIANTS) {
    // Until one arrival reaches every console: then every subscription is live.
    for (let attempt = 1; ; attempt++) {
      try {
        await clients.call('arrivals', {
          set,
          url: targets[set],
          webhooks: [webhook()],
          timeoutMs: 3_000,
        });
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
      }
    }
    await arrive(set, 20);
  }
  // What one webhook costs ours in SQL (through its data source, the job's statements included;
  // graphile-worker's own claim and completion are on its pool, not counted), once it is done.
  const counter = statementCounter(server.dataSource);
  // The bench's own look for unprocessed deliveries (inBackground) left out of the count; only
  // while counting, as telling background work apart costs every await of the process.
  StatementCounter.separateBackground = true;
  counter.recorded = [];
  await arrive('ours', 1);
  await drainWebhookJobs(server);
  const oneWebhook = counter.recorded;
  counter.recorded = undefined;
  StatementCounter.separateBackground = false;
  context.log(
    `one webhook, ${oneWebhook.length} statements:\n  ${oneWebhook.map(oneLine).join('\n  ')}`,
  );
  type Traced = Arrival & { key: string };
  const arrivalRounds: Record<Variant, Traced[][]> = { ours: [], bare: [], floor: [] };
  for (let round = 1; round <= options.rounds; round++) {
    for (const set of VARIANTS) {
      context.log(`webhook → consoles: round ${round}, ${set}`);
      arrivalRounds[set].push(await arrive(set, options.arrivals));
    }
  }
  oursTraces.restore();
  const arrivalFigures = (set: Variant) => {
    const rounds = arrivalRounds[set].map((results) => ({
      last: summarizeLatencies(results.map((r) => r.lastConsoleMs)),
      median: summarizeLatencies(results.map((r) => r.medianConsoleMs)),
    }));
    return {
      p50: median(rounds.map((r) => r.last.p50)),
      p99: median(rounds.map((r) => r.last.p99)),
      medianConsoleP50: median(rounds.map((r) => r.median.p50)),
    };
  };
  const [ours, baseline, floorFigures] = [
    arrivalFigures('ours'),
    arrivalFigures('bare'),
    arrivalFigures('floor'),
  ];
  report.note(
    `**Signed webhook → ARRIVED at ${options.consoles} member consoles** (C3, C5): a signed WhatsApp Cloud notification of a message from a new number, posted, until the last of the ${options.consoles} consoles has the event (ours: the ARRIVED event on \`queueEvents(campaignIds)\`, the stream a member's console watches: stored, answered 200, processed by the job queue, queued, published; each console's stream checked for access). ` +
      `Baseline: a bare node http handler verifying the same \`X-Hub-Signature-256\`, answering 200 and broadcasting an ARRIVED (the message's number) over plain graphql-ws (\`campaigns/bare-webhook.ts\`). ` +
      'Floor: the same handler doing the writes no server can skip, with no job queue: the raw delivery stored before the 200 (one statement), then the number (insert or get), the waiting interaction and the message (insert-or-ignore on its provider id) in one statement, then the broadcast (tables of its own beside ours). ' +
      `${options.arrivals} webhooks one after the other per round, ${options.rounds} rounds alternating, medians of the rounds. PERF.md goal: p99 ≤ 1.2x the baseline; where that is below what any server storing the message can do, against the floor.`,
  );
  report.note(
    `SQL statements of one such webhook through ours' data source, from the POST to the job's end (graphile-worker's claim and completion, on its own pool, not counted): **${oneWebhook.length}**. In order: ${oneWebhook.map((sql) => `\`${oneLine(sql).slice(0, 70)}\``).join(', ')}.`,
  );
  report.table(
    ['', 'to the last console p50', 'p99', 'to the median console p50'],
    [
      [
        'baseline (bare handler + graphql-ws)',
        ms(baseline.p50),
        ms(baseline.p99),
        ms(baseline.medianConsoleP50),
      ],
      [
        'floor (bare handler + 2 statements + graphql-ws)',
        ms(floorFigures.p50),
        ms(floorFigures.p99),
        ms(floorFigures.medianConsoleP50),
      ],
      ['ours', ms(ours.p50), ms(ours.p99), ms(ours.medianConsoleP50)],
      [
        'ours / baseline',
        ratio(ours.p50 / baseline.p50),
        ratio(ours.p99 / baseline.p99),
        ratio(ours.medianConsoleP50 / baseline.medianConsoleP50),
      ],
      [
        'ours / floor',
        ratio(ours.p50 / floorFigures.p50),
        ratio(ours.p99 / floorFigures.p99),
        ratio(ours.medianConsoleP50 / floorFigures.medianConsoleP50),
      ],
    ],
  );
  // The steps of each arrival, over every round's arrivals.
  const steps = (set: Variant) => {
    const rows = arrivalRounds[set].flat().flatMap((arrival) => {
      const trace = traces[set].get(arrival.key);
      if (!trace) return [];
      const answered = arrival.postedAtMs + arrival.answeredMs;
      return [
        {
          answered: arrival.answeredMs,
          pickup: trace.processStart - answered,
          processing: trace.published - trace.processStart,
          fanout: arrival.postedAtMs + arrival.lastConsoleMs - trace.published,
        },
      ];
    });
    const of = (step: keyof (typeof rows)[number]) =>
      summarizeLatencies(rows.map((row) => row[step]));
    return {
      n: rows.length,
      answered: of('answered'),
      pickup: of('pickup'),
      processing: of('processing'),
      fanout: of('fanout'),
    };
  };
  const stepRows = (['floor', 'ours'] as const).map((set) => {
    const s = steps(set);
    const cell = (l: { p50: number; p99: number }) => `${ms(l.p50)} / ${ms(l.p99)}`;
    return [
      set === 'ours' ? `ours (${s.n} arrivals)` : `floor (${s.n} arrivals)`,
      cell(s.answered),
      cell(s.pickup),
      cell(s.processing),
      cell(s.fanout),
    ];
  });
  report.note(
    "Where an arrival's time goes, p50 / p99 over every round's arrivals: the POST until its 200; the 200 until its processing began (ours: the job picked up by a worker; the floor: at once); the processing until the interaction was committed and its ARRIVED handed to the PubSub; from there until the last console had it.",
  );
  report.table(
    ['', 'POST → 200', '200 → processing', 'processing → published', 'published → last console'],
    stepRows,
  );

  // The burst: webhooks at a fixed rate, each answered when stored (ours, the floor) or verified
  // (bare); first with the consoles watching (every arrival goes out to each), then with none.
  const count = Math.round(options.burstRate * options.burstSeconds);
  type BurstRound = { p50: number; p99: number; max: number; failed: number; drainMs: number };
  const burstOf = (rounds: BurstRound[]) => ({
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    max: median(rounds.map((r) => r.max)),
    failed: median(rounds.map((r) => r.failed)),
    processedPerSecond: median(rounds.map((r) => (count * 1000) / r.drainMs)),
  });
  let firstFailure: string | undefined;
  const bursts = async (watched: boolean) => {
    const burstRounds: Record<Variant, BurstRound[]> = { ours: [], bare: [], floor: [] };
    for (let round = 1; round <= options.rounds; round++) {
      for (const set of VARIANTS) {
        context.log(
          `burst of ${options.burstRate}/s ${watched ? 'watched' : 'unwatched'}: round ${round}, ${set}`,
        );
        const result = await sender.call<{
          latenciesMs: number[];
          errors: number;
          firstError?: string;
          elapsedMs: number;
        }>('burst', {
          url: targets[set],
          webhooks: Array.from({ length: count }, webhook),
          rate: options.burstRate,
        });
        if (result.errors) {
          context.log(
            `${set}: ${result.errors} webhooks not answered 200; first: ${result.firstError}`,
          );
          firstFailure ??= `${set}: ${result.firstError}`;
        }
        const summary = summarizeLatencies(result.latenciesMs);
        // Let ours' jobs finish the burst before the next round: how long they took is its
        // processing rate.
        const drainStarted = Date.now();
        if (set === 'ours') await drainWebhookJobs(server);
        burstRounds[set].push({
          p50: summary.p50,
          p99: summary.p99,
          max: summary.max,
          failed: result.errors,
          drainMs: result.elapsedMs + (Date.now() - drainStarted),
        });
      }
    }
    return {
      ours: burstOf(burstRounds.ours),
      bare: burstOf(burstRounds.bare),
      floor: burstOf(burstRounds.floor),
    };
  };
  const watched = await bursts(true);
  // The consoles gone: what answering costs when nothing is broadcast to anyone.
  await clients.call('close');
  const unwatched = await bursts(false);
  report.note(
    `**Webhook answered under a burst** (C3, issue item 2): ${options.burstRate} signed webhooks/s for ${options.burstSeconds} s, open loop (sent on schedule whatever the answers, from a process of its own), each a message from a new number; ours and the floor answer 200 once the raw delivery is committed (ours: with its job); every answer's time counts, a refusal's too. "Stored and processed": webhooks of the burst over the time until ours' jobs had processed the last. ` +
      `First with the ${options.consoles} consoles watching (each arrival is broadcast to every one of them by the same process that answers: ${(options.burstRate * options.consoles).toLocaleString('en-US')} events/s), then with none connected. ` +
      `Baseline and floor as above. ${options.rounds} rounds alternating, medians. PERF.md goal: ours p99 ≤ 20 ms.`,
  );
  const burstRows = (label: string, figures: Awaited<ReturnType<typeof bursts>>) => [
    ...VARIANTS.map((set) => [
      `${label}: ${set === 'bare' ? 'baseline (bare handler)' : set}`,
      ms(figures[set].p50),
      ms(figures[set].p99),
      ms(figures[set].max),
      String(figures[set].failed),
      set === 'ours' ? `${Math.round(figures[set].processedPerSecond)}/s` : '',
    ]),
    [
      `${label}: ours / baseline`,
      ratio(figures.ours.p50 / figures.bare.p50),
      ratio(figures.ours.p99 / figures.bare.p99),
      '',
      '',
      '',
    ],
  ];
  report.table(
    ['', 'answered p50', 'p99', 'max', 'not answered 200', 'stored and processed'],
    [
      ...burstRows(`${options.consoles} consoles watching`, watched),
      ...burstRows('no console', unwatched),
    ],
  );
  if (firstFailure) report.note(`First answer that was not a 200: ${firstFailure}`);
  await sender.call('close');
}

type Variant = 'ours' | 'bare' | 'floor';
/** In the order each round runs them. */
const VARIANTS: readonly Variant[] = ['bare', 'floor', 'ours'];
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Wraps the in-process server's webhook job and its inbound step to note, per number, when the
 * job began and when its interaction was committed and published; `restore` unwraps them.
 */
function traceOurs(server: TandemServer) {
  const traces = new Map<string, FloorTrace>();
  const { providerWebhooks, inbound } = server.services;
  const process0 = providerWebhooks.process;
  const receive0 = inbound.receiveAll;
  let processStart = 0;
  providerWebhooks.process = async function (this: unknown, ...args) {
    processStart = nowMs();
    return process0.apply(providerWebhooks, args);
  };
  inbound.receiveAll = async function (this: unknown, ...args) {
    const started = processStart;
    const result = await receive0.apply(inbound, args);
    const published = nowMs();
    for (const message of args[1]) {
      traces.set(normalizePhone(message.from, 'from'), { processStart: started, published });
    }
    return result;
  };
  return {
    traces,
    restore: () => {
      providerWebhooks.process = process0;
      inbound.receiveAll = receive0;
    },
  };
}

/** A statement on one line, its whitespace collapsed. */
const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/** Waits until no webhook delivery is left unprocessed (two minutes at most). */
async function drainWebhookJobs(server: TandemServer): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    // In the background: the statement counter leaves the bench's own look out.
    const [row] = (await inBackground(() =>
      server.dataSource.query(
        'SELECT count(*)::int AS n FROM provider_webhook WHERE processed_at IS NULL',
      ),
    )) as Array<{ n: number }>;
    if (!row?.n) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
