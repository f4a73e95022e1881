import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { TandemServer } from '../../src/server';
import { ProviderKind } from '../../src/entities/provider.entity';
import { callProvider, isFailure } from '../../src/services/provider/adapters/http-call';
import type { ProviderFields } from '../../src/services/provider/provider.service';
import { WhatsAppCloudStub } from '../../test/support/providers/whatsapp-cloud-stub';
import type { BenchContext } from '../support/benchmark';
import { type Report, ms, rate, ratio } from '../support/report';
import { BENCH_PASSWORD, forEachConcurrently, signedIn } from '../support/seeding';
import { median } from '../support/stats';
import { OutboxFloor } from './outbox-floor';
import { OutboxProfiler, type ProfiledRound } from './outbox-profile';
import { ActivitySampler, type RoundCost, startRoundCost } from './outbox-waits';

export interface OutboxOptions {
  messages: number;
  conversations: number;
  rounds: number;
  /** The bare loop's concurrent senders: as many as ours' job workers. */
  workers: number;
  databaseUrl: string;
  postmasterPid: number | undefined;
  /** BENCH_CPU_PROF: a round of the floor and of ours profiled (outbox-profile.ts). */
  profileDir?: string;
}

type Variant = 'ours' | 'bare' | 'floor';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Outbox delivery rate (C6): replies queued while the provider is held (FAILING), then released
 * at once, until the stub has every one; against a bare loop posting the same sends to the same
 * stub with as many workers as ours has job workers.
 */
export async function runOutbox(
  context: BenchContext,
  server: TandemServer,
  options: OutboxOptions,
  report: Report,
): Promise<void> {
  const stub = await new WhatsAppCloudStub('+15550003000').start();
  context.defer(() => stub.stop());
  const { services, dataSource } = server;
  const suffix = randomBytes(3).toString('hex');
  const adminEmail = `admin-${suffix}@outbox.bench.tandem.test`;
  await services.organizations.create({
    name: `Bench outbox ${suffix}`,
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const { auth: admin } = await signedIn(server, adminEmail);
  const { kind, ...fields } = stub.providerInput('Bench outbox line');
  const provider = await services.providers.create(admin, {
    ...(fields as unknown as ProviderFields & { name: string; accountNumber: string }),
    kind: kind as ProviderKind,
  });
  await services.campaigns.create(admin, {
    name: 'Bench outbox',
    providerId: provider.id,
    maxInteractionsPerAgent: 5,
    serviceLevelSeconds: 30,
    abandonAfterSeconds: 365 * 86_400,
    memberIds: [],
  });
  // Customers who wrote through the signed webhook (their 24-hour windows open): one each.
  const webhookUrl = server.url.replace(/\/graphql$/, `/webhooks/providers/${provider.id}`);
  const conversations: Array<{ id: string; to: string }> = [];
  for (let c = 0; c < options.conversations; c++) {
    const from = `+3480${String(c).padStart(7, '0')}`;
    const body = `Hello ${suffix} ${c}`;
    await stub.deliver(webhookUrl, stub.inboundBody([{ from, body }]));
    conversations.push({ id: await conversationOf(server, body), to: from.replace('+', '') });
  }
  const sendUrl = `${stub.apiBaseUrl}/${stub.phoneNumberId}/messages`;

  const timing = new OutboxTiming(services.outbox);
  context.defer(() => timing.restore());
  const sampler = await new ActivitySampler(options.databaseUrl).start();
  context.defer(() => sampler.stop());
  const costs: Record<Variant, RoundCost[]> = { ours: [], bare: [], floor: [] };
  /**
   * Ours' round; `round` 0 warms up, and `sample` is an extra round, not counted, during which
   * the sampler watches Postgres (its query every 5 ms costs CPU the measured rounds must not
   * pay: the machine's two cores are about full while ours sends).
   */
  const ours = async (
    round: number,
    sample = false,
    count = !sample,
    begin?: () => Promise<void>,
  ): Promise<number> => {
    await dataSource.query(`UPDATE provider SET health_state = 'FAILING' WHERE id = $1`, [
      provider.id,
    ]);
    const replies = Array.from({ length: options.messages }, (_, i) => i);
    await forEachConcurrently(replies, 8, async (i) => {
      const conversation = conversations[i % conversations.length] as { id: string };
      await services.messages.send(admin, conversation.id, { body: `Reply ${round}.${i}` });
    });
    // The jobs the replies added while held run first (each finds the provider FAILING and
    // stops): left to run inside the round, they were drains of the setup, counted as ours.
    await heldJobsSettled(dataSource);
    const before = stub.received.length;
    await begin?.();
    timing.reset();
    if (sample) sampler.begin();
    const cost = startRoundCost(options.postmasterPid);
    const started = nowMs();
    await dataSource.query(`UPDATE provider SET health_state = 'OK' WHERE id = $1`, [provider.id]);
    await services.outbox.release(provider.id);
    await stub.waitForRequests(before + options.messages, 300_000);
    // And every send recorded (as the floor's round includes its last record): a record still
    // under way would otherwise mark the provider OK again (a send that went through heals a
    // FAILING provider) after the next round has held it, and that round's replies would go out
    // while they are being written, before its clock starts.
    await recorded(dataSource, provider.id);
    const elapsed = nowMs() - started;
    sampler.end();
    const spent = cost.stop(options.messages);
    if (round > 0 && count) {
      timing.keep(elapsed, options.workers);
      costs.ours.push(spent);
    }
    return (options.messages * 1000) / elapsed;
  };

  /**
   * One send posted to the stub as a bare client would: the provider's id. Through the same
   * HTTP client as ours (`callProvider`: node:http, kept-alive connections), so that the baseline
   * and the floor pay what ours pays for the call and no more; with `fetch` they paid ~0.7 ms of
   * CPU per send more than ours does.
   */
  const post = async (to: string, body: string): Promise<string> => {
    const answer = await callProvider(sendUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${stub.accessToken}`,
      },
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to,
        type: 'text',
        text: { preview_url: false, body },
      }),
    });
    if (isFailure(answer)) throw new Error(`the stub did not answer: ${answer.reason}`);
    const id = (answer.json as { messages?: Array<{ id: string }> } | null)?.messages?.[0]?.id;
    if (!id) throw new Error(`the stub answered ${answer.status}`);
    return id;
  };

  const bare = async (round: number): Promise<number> => {
    const before = stub.received.length;
    const cost = startRoundCost(options.postmasterPid);
    const started = nowMs();
    const sends = Array.from({ length: options.messages }, (_, i) => i);
    await forEachConcurrently(sends, options.workers, async (i) => {
      const conversation = conversations[i % conversations.length] as { to: string };
      await post(conversation.to, `Reply ${round}.${i}`);
    });
    if (stub.received.length - before !== options.messages) throw new Error('sends went missing');
    const elapsed = nowMs() - started;
    const spent = cost.stop(options.messages);
    if (round > 0) costs.bare.push(spent);
    return (options.messages * 1000) / elapsed;
  };

  const floor = await new OutboxFloor(options.databaseUrl, options.workers).start();
  context.defer(() => floor.stop());
  const floorRound = async (
    round: number,
    count = true,
    begin?: () => Promise<void>,
  ): Promise<number> => {
    await floor.queue(
      Array.from({ length: options.messages }, (_, i) => ({
        conversation: i % conversations.length,
        to: (conversations[i % conversations.length] as { to: string }).to,
        body: `Reply ${round}.${i}`,
      })),
    );
    const before = stub.received.length;
    await begin?.();
    const cost = startRoundCost(options.postmasterPid);
    const started = nowMs();
    const sent = await floor.drain(post);
    if (sent !== options.messages || stub.received.length - before !== options.messages)
      throw new Error('floor sends went missing');
    const elapsed = nowMs() - started;
    const spent = cost.stop(options.messages);
    if (round > 0 && count) costs.floor.push(spent);
    return (options.messages * 1000) / elapsed;
  };

  context.log('outbox: warming up');
  await bare(0);
  await floorRound(0);
  await ours(0);
  const rates: Record<Variant, number[]> = { ours: [], bare: [], floor: [] };
  for (let round = 1; round <= options.rounds; round++) {
    context.log(`outbox: round ${round}`);
    rates.bare.push(await bare(round));
    rates.floor.push(await floorRound(round));
    rates.ours.push(await ours(round));
  }
  context.log('outbox: a round sampled, not counted');
  await ours(options.rounds + 1, true);
  const profiled: Array<[string, ProfiledRound]> = [];
  if (options.profileDir) {
    // One more round of the floor and of ours each, profiled, not counted.
    const profiler = await new OutboxProfiler(options.profileDir, options.databaseUrl).start();
    context.defer(() => profiler.stop());
    context.log('outbox: a round of the floor and of ours profiled, not counted');
    profiled.push(
      [
        'floor',
        await profiler.round('floor', options.messages, (begin) =>
          floorRound(options.rounds + 2, false, begin),
        ),
      ],
      [
        'ours',
        await profiler.round('ours', options.messages, (begin) =>
          ours(options.rounds + 2, false, false, begin),
        ),
      ],
    );
  }
  const [oursRate, bareRate, floorRate] = [
    median(rates.ours),
    median(rates.bare),
    median(rates.floor),
  ];
  report.note(
    `**Outbox delivery rate** (C6): ${options.messages} replies over ${options.conversations} WhatsApp interactions (\`sendMessage\`'s path: message and job in one transaction) queued while the provider is held FAILING, then released at once; the time until the WhatsApp Cloud stub has every send. Ours sends through graphile-worker (${options.workers} workers, one job per conversation, in order, the per-number throttle raised out of the way: \`OUTBOX_SENDS_PER_SECOND\` 100,000), recording each provider id. ` +
      `Baseline: a bare loop of ${options.workers} workers posting the same sends to the same stub, through the same HTTP client as ours (node:http, kept-alive connections). ` +
      `Floor (\`campaigns/outbox-floor.ts\`): the durable work of an outbox that never loses nor doubles a send and nothing else: ${options.workers} plain-pg loops, each owning a share of the conversations (in order), per send reading its next unsent row (1 statement), posting it to the same stub and recording the provider's id (1 statement, a synchronous commit); the sends written before the round, as ours' are. ${options.rounds} rounds alternating, medians. PERF.md goal: ≥ 0.5x the bare loop.`,
  );
  report.table(
    ['', 'sends/s'],
    [
      ['baseline (bare loop)', rate(bareRate)],
      ['floor (read + post + one durable write)', rate(floorRate)],
      ['ours (outbox)', rate(oursRate)],
      ['ours / baseline', ratio(oursRate / bareRate)],
      ['ours / floor', ratio(oursRate / floorRate)],
      ['floor / baseline', ratio(floorRate / bareRate)],
      ...rates.ours.map((value, i) => [
        `round ${i + 1}: bare / floor / ours`,
        `${rate(rates.bare[i] as number)} / ${rate(rates.floor[i] as number)} / ${rate(value)}`,
      ]),
    ],
  );
  const medianOf = (variant: Variant, key: keyof RoundCost) =>
    median(costs[variant].map((cost) => cost[key] ?? 0));
  report.note(
    `What a send costs, medians of the rounds: this process's CPU (the server, its job workers, the stub and the bare loop all live in it) and Postgres's (every backend) per send, and this process's event-loop delay while the round ran.`,
  );
  report.table(
    ['', 'this process CPU / send', 'Postgres CPU / send', 'event-loop delay p50 / p99'],
    (['bare', 'floor', 'ours'] as const).map((variant) => [
      { bare: 'baseline (bare loop)', floor: 'floor', ours: 'ours (outbox)' }[variant],
      `${Math.round(medianOf(variant, 'processCpuUs')).toLocaleString('en-US')} µs`,
      options.postmasterPid
        ? `${Math.round(medianOf(variant, 'postgresCpuUs')).toLocaleString('en-US')} µs`
        : '',
      `${ms(medianOf(variant, 'loopDelayP50Ms'))} / ${ms(medianOf(variant, 'loopDelayP99Ms'))}`,
    ]),
  );
  report.note(
    `What the server's connections were doing during one more round of ours, not counted (\`pg_stat_activity\` sampled every 5 ms, ${sampler.sampleCount} samples; idle connections left out): backends per sample, on average, by state, what a running statement waited on inside Postgres ("CPU": nothing), and the statement.`,
  );
  report.table(
    ['backend state, wait, statement', 'backends per sample'],
    sampler
      .rows()
      .map(([what, perSample]) => ['`' + what.replace(/`/g, "'") + '`', perSample.toFixed(2)]),
  );
  for (const [variant, round] of profiled) {
    report.note(
      `Profiled round of ${variant} (not counted): V8 profile \`${path.basename(round.cpuProfile)}\`${round.perfData ? `, perf \`${path.basename(round.perfData)}\`` : ''}; Postgres per send (pg_stat_statements: executor + planner time, waits included; functions: track_functions).`,
    );
    if (round.statements.length)
      report.table(
        ['statement', 'calls / send', 'µs / send'],
        round.statements.map((s) => [
          '`' + s.query.slice(0, 140).replace(/`/g, "'") + '`',
          s.callsPerSend.toFixed(2),
          s.execUsPerSend.toFixed(0),
        ]),
      );
    if (round.functions.length)
      report.table(
        ['function', 'calls / send', 'self µs / send', 'total µs / send'],
        round.functions.map((f) => [
          f.name,
          f.callsPerSend.toFixed(2),
          f.selfUsPerSend.toFixed(0),
          f.totalUsPerSend.toFixed(0),
        ]),
      );
  }
  timing.restore();
  const spent = timing.summary();
  report.note(
    `Where ours' time goes (the in-process server's outbox wrapped, every measured round): per send, the conversation's next messages read with their send slots (\`outboxBatch\`, shared by the sends of a batch), the wait for that slot, the provider's answer and the SENT record (\`tandem_record_sent\` with its DELIVERY event, one statement); per drain (one job: a conversation's messages), its lock and the job's own cost; and the workers' share of the time spent inside a drain (the rest: waiting for a job).`,
  );
  report.table(
    ['', 'per send', 'share of a drain'],
    [
      [
        "next messages + their send slots (1 statement per batch of up to 10; the drain's last, empty, look included)",
        ms(spent.head),
        percentOf(spent.head, spent.perSendInDrain),
      ],
      [
        'wait for the send slot + provider call',
        ms(spent.call),
        percentOf(spent.call, spent.perSendInDrain),
      ],
      [
        'SENT recorded + event (1 statement)',
        ms(spent.record),
        percentOf(spent.record, spent.perSendInDrain),
      ],
      [
        'drain overhead (its advisory lock taken and freed), per send',
        ms(spent.overhead),
        percentOf(spent.overhead, spent.perSendInDrain),
      ],
      ['in all, per send, inside drains', ms(spent.perSendInDrain), ''],
      [
        `workers busy in a drain (${spent.drains} drains)`,
        `${Math.round(spent.busyShare * 100)}%`,
        '',
      ],
    ],
  );
}

const percentOf = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;

type Timed = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * Times the outbox's steps by wrapping the in-process server's service (its private steps are
 * reached by name): per bucket the time spent in it, summed over concurrent workers.
 */
class OutboxTiming {
  private readonly originals: Array<[Timed, string, Timed[string]]> = [];
  private readonly current = { head: 0, send: 0, record: 0, deliver: 0, drains: 0, sends: 0 };
  private readonly kept = { ...this.current, elapsed: 0, workers: 0 };

  constructor(outbox: object) {
    const service = outbox as unknown as Timed & { store: Timed };
    this.wrap(service.store, 'outboxBatch', 'head');
    this.wrap(service, 'sendOne', 'send');
    this.wrap(service, 'recordSent', 'record');
    this.wrap(service, 'deliver', 'deliver');
  }

  private wrap(target: Timed, method: string, bucket: 'head' | 'send' | 'record' | 'deliver') {
    const original = target[method] as Timed[string];
    this.originals.push([target, method, original]);
    const current = this.current;
    target[method] = async function (this: unknown, ...args: never[]) {
      const started = nowMs();
      try {
        return await original.apply(target, args);
      } finally {
        current[bucket] += nowMs() - started;
        if (bucket === 'deliver') current.drains += 1;
        if (bucket === 'send') current.sends += 1;
      }
    };
  }

  reset(): void {
    for (const key of Object.keys(this.current) as Array<keyof typeof this.current>)
      this.current[key] = 0;
  }

  /** Adds the round just measured to the figures reported. */
  keep(elapsedMs: number, workers: number): void {
    for (const key of Object.keys(this.current) as Array<keyof typeof this.current>)
      this.kept[key] += this.current[key];
    this.kept.elapsed += elapsedMs;
    this.kept.workers = workers;
  }

  summary() {
    const k = this.kept;
    const sends = Math.max(1, k.sends);
    return {
      head: k.head / sends,
      call: (k.send - k.record) / sends,
      record: k.record / sends,
      overhead: (k.deliver - k.head - k.send) / sends,
      perSendInDrain: k.deliver / sends,
      drains: k.drains,
      busyShare: k.deliver / (k.elapsed * Math.max(1, k.workers)),
    };
  }

  restore(): void {
    for (const [target, method, original] of this.originals.splice(0)) target[method] = original;
  }
}

/** Resolves once no reply through this provider is left unrecorded (QUEUED). */
async function recorded(dataSource: TandemServer['dataSource'], providerId: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = (await dataSource.query(
      `SELECT count(*)::int AS n FROM message WHERE provider_id = $1 AND delivery_state = 'QUEUED'`,
      [providerId],
    )) as Array<{ n: number }>;
    if (row?.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.n} replies were never recorded`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Resolves once no delivery job is running, due, or due within 2 s (a drain that found another
 * running adds itself again 1 s later); a held provider's probes (10 minutes away) stay.
 */
async function heldJobsSettled(dataSource: TandemServer['dataSource']) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = (await dataSource.query(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs
        WHERE task_identifier = 'deliver-outbox'
          AND (locked_at IS NOT NULL OR run_at <= now() + interval '2 seconds')`,
    )) as Array<{ n: number }>;
    if (row?.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.n} delivery jobs never settled`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The conversation of the message with this text, once the webhook's job has stored it. */
async function conversationOf(server: TandemServer, body: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = (await server.dataSource.query(
      'SELECT conversation_id FROM message WHERE body = $1',
      [body],
    )) as Array<{ conversation_id: string }>;
    if (row) return row.conversation_id;
    if (Date.now() > deadline) throw new Error(`"${body}" was never stored`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
