import type { Comparison } from '../support/compare';
import {
  CPU_COLUMNS,
  Report,
  comparisonTable,
  kb,
  ms,
  percent,
  rate,
  ratio,
  roundsTable,
  us,
} from '../support/report';
import {
  type FanoutKey,
  type FanoutResult,
  type FanoutStep,
  VARIANT_NAMES,
  p50,
  p99,
} from './fanout';
import { OPS_VARIANTS } from './lock-ops';
import type { MemoryFigure } from './sockets';

export interface LocksReport {
  database: string;
  databaseUrl: string;
  redis?: string;
  seeded: { staff: number; inboxes: number; conversations: number };
  statements?: Record<'openTicket' | 'releaseTicket', number>;
  ops?: Comparison;
  fanout?: FanoutResult;
  memory?: { baseline: MemoryFigure; ours: MemoryFigure };
  failures: Array<{ part: string; error: string }>;
}

function fanoutRow(step: FanoutStep, key: FanoutKey) {
  const rounds = step.rounds.filter((round) => round.key === key);
  const last = rounds.flatMap((round) => round.samples.map((sample) => sample.lastMs));
  const cpu = rounds.reduce((sum, round) => sum + round.serverCpuUs, 0);
  const gc = rounds.reduce((sum, round) => sum + round.serverGcUs, 0);
  const pauses = rounds.flatMap((round) => (round.gcPauses ? [round.gcPauses] : []));
  return {
    events: last.length,
    p50: p50(last),
    p99: p99(last),
    cpuPerDelivery: cpu / (last.length * step.watchers),
    gcPerEvent: gc / last.length,
    maxPause: pauses.length ? Math.max(...pauses.map((pause) => pause.maxMs)) : undefined,
    over10ms: pauses.length ? pauses.reduce((sum, pause) => sum + pause.over10ms, 0) : undefined,
    majorMs: pauses.length ? pauses.reduce((sum, pause) => sum + pause.majorMs, 0) : undefined,
    others: Math.max(...rounds.map((round) => round.othersShare)),
  };
}

const FANOUT_ORDER: FanoutKey[] = ['baseline', 'inProcess', 'redis', 'before'];

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Where an event's time went: before the server's PubSub, to the first watcher, to the last. */
function hopsRow(step: FanoutStep, key: FanoutKey) {
  const samples = step.rounds
    .filter((round) => round.key === key)
    .flatMap((round) => round.samples)
    .filter((sample) => sample.publishMs !== undefined);
  if (samples.length === 0) return undefined;
  const publish = samples.map((sample) => sample.publishMs as number);
  const answers = samples.flatMap((sample) =>
    sample.answerMs === undefined ? [] : [sample.answerMs],
  );
  const fromPublish = samples.map((sample) => sample.lastMs - (sample.publishMs as number));
  const slowest = [...samples]
    .sort((a, b) => b.lastMs - a.lastMs)
    .slice(0, Math.max(2, Math.ceil(samples.length * 0.02)));
  return {
    fromPublish,
    publishP50: p50(publish),
    publishP99: p99(publish),
    answerP50: answers.length ? p50(answers) : undefined,
    slowest: {
      count: slowest.length,
      last: mean(slowest.map((sample) => sample.lastMs)),
      publish: mean(slowest.map((sample) => sample.publishMs as number)),
      first: mean(slowest.map((sample) => sample.firstMs - (sample.publishMs as number))),
      spread: mean(slowest.map((sample) => sample.lastMs - sample.firstMs)),
      gc: Math.max(...slowest.map((sample) => sample.gc?.maxMs ?? 0)),
      loop: Math.max(...slowest.map((sample) => sample.loopMaxMs ?? 0)),
      withGc: slowest.filter((sample) => (sample.gc?.maxMs ?? 0) >= 5).length,
    },
  };
}

function hopsTable(report: Report, fanout: FanoutResult): void {
  const rows = fanout.steps.flatMap((step) => {
    const base = hopsRow(step, 'baseline');
    const keys = FANOUT_ORDER.filter((key) => step.rounds.some((round) => round.key === key));
    return keys.flatMap((key) => {
      const row = hopsRow(step, key);
      if (!row) return [];
      const own = key !== 'baseline' && base !== undefined;
      return [
        [
          step.watchers.toLocaleString('en-US'),
          VARIANT_NAMES[key],
          ms(p50(row.fromPublish)),
          ms(p99(row.fromPublish)),
          own ? `**${ratio(p99(row.fromPublish) / p99(base.fromPublish))}**` : '',
          ms(row.publishP50),
          ms(row.publishP99),
          row.answerP50 === undefined ? '' : ms(row.answerP50),
          row.slowest.count,
          ms(row.slowest.last),
          ms(row.slowest.publish),
          ms(row.slowest.first),
          ms(row.slowest.spread),
          ms(row.slowest.gc),
          row.slowest.withGc,
          ms(row.slowest.loop),
        ],
      ];
    });
  });
  if (rows.length === 0) return;
  report
    .note(
      "**From the publish**: the same events timed from the moment the event reached the server's PubSub (ours: an extra subscriber of the stream in the server process notes it; the baseline: its `publish`, where its clock starts anyway), i.e. from the baseline's start point; **start → publish** is what ours' time has and the baseline's has not (the HTTP mutation, its commit, the numbering after it; **start → answer** is when the mutation's answer reached the client). " +
        "The slowest events (the slowest 2% of each variant, at least 2): their mean start → last watcher, split into start → publish, publish → first watcher, first → last watcher, the longest server GC pause while they went out (and how many of them had one of 5 ms or more), and the server's longest event-loop delay meanwhile (`--loop-delay yes`, `monitorEventLoopDelay`: a timer's job or a GC holding the loop).",
    )
    .table(
      [
        'watchers',
        'variant',
        'p50 from the publish',
        'p99 from the publish',
        'p99 from the publish / baseline',
        'start → publish p50',
        'start → publish p99',
        'start → answer p50',
        'slowest events',
        'their start → last',
        'start → publish',
        'publish → first',
        'first → last',
        'longest GC pause',
        'with a GC pause ≥ 5 ms',
        'longest event-loop delay',
      ],
      rows,
    );
}

function fanoutPart(report: Report, fanout: FanoutResult, redis?: string): void {
  report
    .heading('1. Lock-event fan-out')
    .note(
      "Ours: openTicket/releaseTicket over HTTP → the event at the last of W watchers of the inbox's `ticketLockEvents` (one graphql-ws socket each, authenticated), in-process PubSub and Redis" +
        (redis ? ` (${redis})` : '') +
        '. Baseline: bare graphql-ws (`support/baselines/graphql-ws.ts`) publishing a payload of the same size → the last watcher. ' +
        `Payload: ours ${fanout.bytes.inProcess ?? fanout.bytes.redis ?? 'n/a'} bytes, baseline ${fanout.bytes.baseline ?? 'n/a'} bytes. ` +
        "Server GC: the server process's garbage-collection pauses over the rounds (`perf_hooks`), per event, the longest single pause, the pauses of 10 ms or more, and mark-compact (major) time. " +
        'PERF.md goal: p99 ≤ 1.0x the baseline at 1,000 and 5,000.',
    );
  const rows = fanout.steps.flatMap((step) => {
    const base = fanoutRow(step, 'baseline');
    const keys = FANOUT_ORDER.filter((key) => step.rounds.some((round) => round.key === key));
    return keys.map((key) => {
      const row = fanoutRow(step, key);
      const own = key !== 'baseline';
      return [
        step.watchers.toLocaleString('en-US'),
        VARIANT_NAMES[key],
        row.events,
        ms(row.p50),
        ms(row.p99),
        own ? ratio(row.p50 / base.p50) : '',
        own ? `**${ratio(row.p99 / base.p99)}**` : '',
        us(row.cpuPerDelivery),
        own ? ratio(row.cpuPerDelivery / base.cpuPerDelivery) : '',
        ms(row.gcPerEvent / 1000),
        row.maxPause === undefined ? 'n/a' : ms(row.maxPause),
        row.over10ms ?? 'n/a',
        row.majorMs === undefined ? 'n/a' : ms(row.majorMs),
        percent(row.others),
      ];
    });
  });
  report.table(
    [
      'watchers',
      'variant',
      'events',
      'p50',
      'p99',
      'p50 / baseline',
      'p99 / baseline',
      'server CPU / delivery',
      '/ baseline',
      'server GC / event',
      'longest GC pause',
      'GC pauses ≥ 10 ms',
      'major GC (all rounds)',
      'machine used by others (worst round)',
    ],
    rows,
  );
  hopsTable(report, fanout);
}

function opsPart(report: Report, data: LocksReport): void {
  report.heading('2. Lock operations');
  if (data.statements)
    report.note(
      `SQL statements per call over HTTP (authentication, the lock function, numbering its events): openTicket ${data.statements.openTicket}, releaseTicket ${data.statements.releaseTicket}.`,
    );
  if (!data.ops) return;
  const { rounds, durationMs, concurrency } = data.ops.options;
  report.note(
    `${concurrency} windows each loop openTicket then releaseTicket on a ticket of their own (every request one lock operation), over HTTP and over the console's graphql-ws socket; ` +
      `${rounds} rounds of ${durationMs / 1000} s per variant, alternating. Baseline: bare Apollo \`{ hello }\`. ` +
      'Floors (`support/baselines/one-write.ts`): one durable write per mutation over bare Apollo and over graphql-ws, one read then one durable write per mutation over bare Apollo (what an authenticated HTTP mutation cannot go below: its caller is looked up), and graphql-ws `{ hello }`. ' +
      "Lock floor over HTTP (`support/baselines/lock-floor.ts`): bare Apollo running the caller's lookup and the same lock function in ONE statement, then numbering its event as ours does: what an HTTP lock operation with these rules cannot go below. " +
      'Lock floor over graphql-ws (`support/baselines/lock-floor-ws.ts`): bare graphql-ws whose socket authenticates once and is its window (as ours), each operation ONE statement of the same lock function, its event numbered after it: what a lock operation over the socket with these rules cannot go below. ' +
      'PERF.md goals: over the socket ≥ 0.9x the one-write floor over graphql-ws; over HTTP ≥ 0.6x the one-write floor over HTTP.',
  );
  const v = OPS_VARIANTS;
  comparisonTable(report, data.ops, {
    labels: {
      [v.baseline]: 'bare Apollo { hello }',
      [v.ours]: 'ours over HTTP',
      [v.oursSocket]: 'ours over the socket',
      [v.socketHello]: 'graphql-ws { hello }',
      [v.oneWrite]: 'one write over HTTP',
      [v.oneWriteSocket]: 'one write over graphql-ws',
      [v.readWrite]: 'one read + one write over HTTP',
      [v.lockFloor]: 'lock floor over HTTP',
      [v.lockFloorSocket]: 'lock floor over graphql-ws',
      [v.before]: 'ours before over HTTP',
      [v.beforeSocket]: 'ours before over the socket',
    },
    ratios: (
      [
        [v.ours, v.baseline],
        [v.ours, v.oneWrite],
        [v.oursSocket, v.oneWriteSocket],
        [v.ours, v.readWrite],
        [v.readWrite, v.oneWrite],
        [v.ours, v.lockFloor],
        [v.lockFloor, v.oneWrite],
        [v.oursSocket, v.lockFloorSocket],
        [v.lockFloorSocket, v.oneWriteSocket],
        [v.before, v.oneWrite],
        [v.beforeSocket, v.oneWriteSocket],
        [v.ours, v.before],
        [v.oursSocket, v.beforeSocket],
      ] as Array<[string, string]>
    ).filter((pair) => pair.every((name) => data.ops?.summaries.some((s) => s.variant === name))),
    columns: CPU_COLUMNS,
  });
  roundsTable(report, data.ops, ['serverCpuUs', 'postgresCpuUs']);
}

function socketsPart(report: Report, data: LocksReport): void {
  report.heading('3. Memory per console');
  const memory = data.memory;
  if (memory) {
    const { baseline, ours } = memory;
    report.note(
      `Memory per console: ${ours.sockets.toLocaleString('en-US')} consoles (one socket, ${ours.subscriptionsPerSocket} subscriptions each) on a fresh server process; ` +
        'per console is the least-squares slope of the process memory (after full GCs) over the batches. PERF.md goal: RSS ≤ 2x plain graphql-ws.',
    );
    const row = (name: string, figure: MemoryFigure) => [
      name,
      kb(figure.rssPerSocket),
      kb(figure.heapUsedPerSocket),
      rate(figure.sockets / figure.connectSeconds),
    ];
    const of = (read: (figure: MemoryFigure) => number) => ratio(read(ours) / read(baseline));
    report.table(
      ['', 'RSS / console', 'heap used / console', 'connect + subscribe rate'],
      [
        row('baseline (plain graphql-ws)', baseline),
        row('ours', ours),
        [
          'ours / baseline',
          `**${of((figure) => figure.rssPerSocket)}**`,
          of((figure) => figure.heapUsedPerSocket),
          of((figure) => figure.sockets / figure.connectSeconds),
        ],
      ],
    );
  }
}

export function renderReport(data: LocksReport): Report {
  const report = new Report().note(
    `Ours: \`startServer\` in a process of its own on a fresh database (${data.database}), seeded through the services (${data.seeded.staff} staff, ${data.seeded.inboxes} inboxes, ${data.seeded.conversations} conversations); each baseline in a process of its own.`,
  );
  if (data.fanout?.steps.length) fanoutPart(report, data.fanout, data.redis);
  if (data.statements || data.ops) opsPart(report, data);
  if (data.memory) socketsPart(report, data);
  for (const failure of data.failures)
    report.note(`**${failure.part} failed**: \`${failure.error.split('\n')[0]?.slice(0, 400)}\``);
  return report;
}
