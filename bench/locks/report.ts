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
