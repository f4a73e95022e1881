import os from 'node:os';
import type { Comparison, VariantSummary } from '../support/compare';
import { otherCpuShare } from '../support/compare';
import { formatMs, formatRate, formatRatio, formatUs, markdownTable } from '../support/format';
import { type FanoutKey, type FanoutResult, VARIANT_NAMES } from './fanout';
import { OPS_VARIANTS, type StatementFigure } from './lock-ops';
import type { LocksOptions } from './options';
import { PERF_APOLLO_TRIVIAL_RATE } from '../support/perf-reference';
import { type Block, kb, mb, table, verdict, words } from '../support/report-blocks';
import { fanoutPart } from './report-fanout';
import type { CapFigure, MemoryFigure } from './sockets';
import type { WatcherStats } from './watcher-worker';

export interface LocksReport {
  options: LocksOptions;
  code: string;
  database: string;
  databaseUrl: string;
  redis?: string;
  seeded: { staff: number; inboxes: number; conversations: number };
  watcherStaff: number;
  statements?: StatementFigure[];
  ops?: Comparison;
  fanout?: FanoutResult;
  fanoutAfter?: Array<{ key: FanoutKey; serverUp: boolean; watchers: WatcherStats }>;
  memory?: { baseline: MemoryFigure; ours: MemoryFigure };
  cap?: CapFigure;
  failures: Array<{ part: string; error: string }>;
}

/** PERF.md's goals: lock operations per second; memory per console as a ratio to graphql-ws. */
const OPS_GOAL = 5000;
const MEMORY_GOAL = 2;

// ---------------------------------------------------------------- part 2

function opsPart(report: LocksReport): Block {
  const block: Block = { markdown: [], text: [] };
  if (report.statements) {
    words(
      block,
      `SQL statements of one call over HTTP to the benchmark's own server (\`statementCounter(server.dataSource)\`, background jobs left out), acting as an agent's window:`,
    );
    table(
      block,
      ['operation', 'SQL statements', 'authentication', 'lock function', 'numbering', 'other'],
      report.statements.map((figure) => [
        figure.operation,
        String(figure.total),
        String(figure.authentication),
        String(figure.lock),
        String(figure.numbering),
        String(figure.other),
      ]),
    );
    block.markdown.push(
      report.statements
        .flatMap((figure) => figure.statements.map((sql) => `- ${figure.operation}: \`${sql}\``))
        .join('\n'),
    );
  }
  const ops = report.ops;
  if (!ops) return block;
  const summary = (name: string) =>
    ops.summaries.find((candidate) => candidate.variant === name) as VariantSummary;
  const base = summary(OPS_VARIANTS.baseline);
  const ours = summary(OPS_VARIANTS.ours);
  const socket = summary(OPS_VARIANTS.oursSocket);
  const socketHello = summary(OPS_VARIANTS.socketHello);
  const oneWrite = summary(OPS_VARIANTS.oneWrite);
  const oneWriteSocket = summary(OPS_VARIANTS.oneWriteSocket);
  const { rounds, durationMs, warmupMs, concurrency } = ops.options;
  words(
    block,
    `Throughput: ${concurrency} windows (${concurrency} agents, an HTTP sign-in session each as \`x-client-session\`, one inbox, a ticket each), each looping openTicket then releaseTicket on its own ticket over a keep-alive connection; **every request is one lock operation** (an acquire or a release). The same again over the console's socket: each window a graphql-ws socket (authenticated once, at connection; the socket is the window), each operation a mutation on it, done at its \`complete\`. Baseline: a bare \`@apollo/server\` 5 (\`startStandaloneServer\`, defaults) answering \`{ hello }\` at the same concurrency. The floor beside them (\`bench/locks/one-write-server.ts\`): a bare GraphQL server (graphql 16, no authentication, no rules, no events) whose one mutation makes one durable write, \`UPDATE ... RETURNING\` a counter on a row of its own per client (as a fencing token comes back from its statement), committed on its own, over HTTP (bare Apollo) and over graphql-ws; and graphql-ws answering \`{ hello }\` on a socket (what the socket transport costs with no work). Closed loop from a forked load generator; ${warmupMs / 1000} s warm-up per side, then ${rounds} rounds of ${durationMs / 1000} s per side, alternating; medians of the rounds. Each server in a process of its own.`,
  );
  const headers = [
    '',
    'p50',
    'p99',
    'throughput',
    'server CPU / request',
    'Postgres CPU / request',
    'load generator CPU / request',
  ];
  const row = (summary: VariantSummary, name: string) => [
    name,
    formatMs(summary.p50),
    formatMs(summary.p99),
    formatRate(summary.throughput),
    formatUs(summary.perRequest.serverCpuUs ?? Number.NaN),
    formatUs(summary.perRequest.postgresCpuUs ?? Number.NaN),
    formatUs(summary.perRequest.clientCpuUs ?? Number.NaN),
  ];
  const ratioRow = (summary: VariantSummary, name: string, to = base) => {
    const ratio = (key: string) =>
      formatRatio((summary.perRequest[key] ?? Number.NaN) / (to.perRequest[key] ?? Number.NaN));
    return [
      name,
      formatRatio(summary.p50 / to.p50),
      formatRatio(summary.p99 / to.p99),
      formatRatio(summary.throughput / to.throughput),
      ratio('serverCpuUs'),
      ratio('postgresCpuUs'),
      ratio('clientCpuUs'),
    ];
  };
  table(block, headers, [
    row(base, 'baseline: bare Apollo `{ hello }`'),
    row(ours, 'ours over HTTP: openTicket / releaseTicket'),
    row(socket, "ours over the console's socket (graphql-ws)"),
    row(socketHello, 'floor: bare graphql-ws `{ hello }` (no database)'),
    row(oneWrite, 'floor: one durable write per mutation, bare Apollo (HTTP)'),
    row(oneWriteSocket, 'floor: one durable write per mutation, bare graphql-ws'),
    ratioRow(ours, 'ours over HTTP / baseline'),
    ratioRow(socket, 'ours over the socket / baseline'),
    ratioRow(ours, 'ours over HTTP / one write over HTTP', oneWrite),
    ratioRow(socket, 'ours over the socket / one write over the socket', oneWriteSocket),
  ]);
  const figure = (summary: VariantSummary, how: string) =>
    `${how}: **${formatRate(summary.throughput)} lock operations** (${formatRate(summary.throughput / 2)} acquire + release pairs), ${formatRatio(summary.throughput / base.throughput)} bare Apollo's trivial-query rate in the same run (${formatRate(base.throughput)}); PERF.md's goal of ≥ ${formatRate(OPS_GOAL)} acquire/release: ${verdict(summary.throughput / OPS_GOAL, 1, false)} (${formatRatio(summary.throughput / OPS_GOAL)} of it).`;
  words(
    block,
    `${figure(socket, "Ours over the console's socket")} ${figure(ours, 'Over HTTP')} All ${concurrency} windows log to the same inbox's lock stream; each operation commits on its own and its events are numbered after it, by one sequencer statement per stream at a time for all the operations that committed meanwhile (one on its own, when the inbox is idle).`,
  );
  const floor = Math.max(oneWrite.throughput, oneWriteSocket.throughput);
  const scaledGoal = (OPS_GOAL / PERF_APOLLO_TRIVIAL_RATE) * base.throughput;
  words(
    block,
    `**The floor of this machine.** A server that does nothing but one durable write per mutation makes ${formatRate(oneWrite.throughput)} over HTTP and ${formatRate(oneWriteSocket.throughput)} over graphql-ws in this run, and graphql-ws answering \`{ hello }\` with no database at all ${formatRate(socketHello.throughput)}: ${floor < OPS_GOAL ? `${formatRate(OPS_GOAL)} is above what any GraphQL server with a durable write per operation reaches here (${formatRatio(floor / OPS_GOAL)} of it at best)` : `${formatRate(OPS_GOAL)} is within what a GraphQL server with a durable write per operation reaches here`}. Ours is ${formatRatio(socket.throughput / oneWriteSocket.throughput)} of that floor over the socket and ${formatRatio(ours.throughput / oneWrite.throughput)} over HTTP. Read as PERF.md asks its figures to be read, as a ratio (its goal was set where bare Apollo made ~${formatRate(PERF_APOLLO_TRIVIAL_RATE)}; ${formatRate(base.throughput)} here), the goal is ${formatRatio(OPS_GOAL / PERF_APOLLO_TRIVIAL_RATE)} bare Apollo's rate, ${formatRate(scaledGoal)} in this run: ours over the socket ${verdict(socket.throughput / scaledGoal, 1, false)} (${formatRatio(socket.throughput / scaledGoal)} of it), over HTTP ${verdict(ours.throughput / scaledGoal, 1, false)} (${formatRatio(ours.throughput / scaledGoal)} of it).`,
  );
  const cpus = os.cpus().length;
  const roundRows = ops.rounds.map((result) => [
    String(result.round),
    result.variant,
    formatMs(result.load.p50),
    formatMs(result.load.p99),
    formatRate(result.load.throughput),
    result.load.requests.toLocaleString('en-US'),
    `${Math.round(otherCpuShare(result, ['serverCpuUs', 'postgresCpuUs'], cpus) * 100)}%`,
  ]);
  block.markdown.push(
    '<details><summary>Rounds</summary>',
    '',
    markdownTable(
      ['round', 'variant', 'p50', 'p99', 'throughput', 'requests', 'machine used by others'],
      roundRows,
    ),
    '',
    '</details>',
  );
  return block;
}

// ---------------------------------------------------------------- part 3

function socketsPart(report: LocksReport): Block {
  const block: Block = { markdown: [], text: [] };
  const memory = report.memory;
  if (memory) {
    const { baseline, ours } = memory;
    words(
      block,
      `Memory per console: ${ours.sockets.toLocaleString('en-US')} consoles connect to a fresh server process, one socket each with ${ours.subscriptionsPerSocket} subscriptions: ours \`ticketLockEvents\` on 3 inboxes and \`conversationEvents\` on 2 (each socket a window, authenticated); the baseline 5 subscriptions of its one field (5 channels) on the bare graphql-ws server. The server process's memory is read (after two full garbage collections, \`--expose-gc\`) before the consoles and after each of ${ours.points.length - 1} batches of them; per console is the least-squares slope over those points. ${ours.warmupSockets} consoles connected and left first (code warmed up). RSS is what the process holds; "V8 heap reserved" (heapTotal) includes the free and fragmented space V8 keeps, "heap used" only live objects.`,
    );
    const row = (name: string, figure: MemoryFigure) => [
      name,
      figure.sockets.toLocaleString('en-US'),
      String(figure.subscriptionsPerSocket),
      kb(figure.rssPerSocket),
      kb(figure.heapTotalPerSocket),
      kb(figure.heapUsedPerSocket),
      kb(figure.externalPerSocket),
      `${((figure.points[figure.points.length - 1]?.memory.rss ?? Number.NaN) / 2 ** 20).toFixed(0)} MB`,
      formatRate(figure.sockets / figure.connectSeconds),
    ];
    const ratio = (read: (figure: MemoryFigure) => number) => read(ours) / read(baseline);
    table(
      block,
      [
        '',
        'consoles',
        'subscriptions each',
        'RSS / console',
        'V8 heap reserved / console',
        'heap used / console',
        'external / console',
        'RSS at the end',
        'connect + subscribe rate',
      ],
      [
        row('baseline (plain graphql-ws)', baseline),
        row('ours', ours),
        [
          'ours / baseline',
          '',
          '',
          `**${formatRatio(ratio((figure) => figure.rssPerSocket))}**`,
          formatRatio(ratio((figure) => figure.heapTotalPerSocket)),
          formatRatio(ratio((figure) => figure.heapUsedPerSocket)),
          formatRatio(ratio((figure) => figure.externalPerSocket)),
          '',
          formatRatio(ratio((figure) => figure.sockets / figure.connectSeconds)),
        ],
      ],
    );
    const rss = ratio((figure) => figure.rssPerSocket);
    words(
      block,
      `Ours holds ${kb(ours.rssPerSocket)} of RSS per console against ${kb(baseline.rssPerSocket)} for plain graphql-ws: **${formatRatio(rss)}** (PERF.md's goal ≤ ${MEMORY_GOAL}x): ${verdict(rss, MEMORY_GOAL)}. Live heap objects: ${kb(ours.heapUsedPerSocket)} against ${kb(baseline.heapUsedPerSocket)} (${formatRatio(ratio((figure) => figure.heapUsedPerSocket))}). Consoles connected (authenticated, 5 subscriptions each, 50 at a time) at ${formatRate(ours.sockets / ours.connectSeconds)} against ${formatRate(baseline.sockets / baseline.connectSeconds)}.`,
    );
    block.markdown.push(
      '<details><summary>Memory points</summary>',
      '',
      markdownTable(
        ['server', 'consoles', 'RSS', 'heapTotal', 'heapUsed', 'external + arrayBuffers'],
        (['baseline', 'ours'] as const).flatMap((name) =>
          memory[name].points.map(({ sockets, memory: point }) => [
            name,
            sockets.toLocaleString('en-US'),
            mb(point.rss),
            mb(point.heapTotal),
            mb(point.heapUsed),
            mb(point.external + point.arrayBuffers),
          ]),
        ),
      ),
      '',
      '</details>',
    );
  }
  const cap = report.cap;
  if (cap) {
    const refused = Object.entries(cap.refused)
      .map(([code, n]) => `${n} with code ${code}`)
      .join(', ');
    const clean =
      cap.connected === cap.cap && (cap.refused['1013'] ?? 0) === cap.attempted - cap.cap;
    words(
      block,
      `Socket cap: ours started with \`maxSockets: ${cap.cap}\`; ${cap.attempted} sockets opened (20 at a time, each authenticating): **${cap.connected} accepted, ${refused || 'none refused'}**${cap.reasons.length ? ` ("${cap.reasons.join('", "')}")` : ''}. Afterwards the server ${cap.serverUp ? 'was still up' : '**was down**'}, held ${cap.socketsHeld} windows, and ${cap.ready ? 'answered /readyz with 200' : '**did not answer /readyz**'}; accepted sockets dropped meanwhile: ${Object.keys(cap.lost).length ? JSON.stringify(cap.lost) : 'none'}. ${clean ? 'As PERF.md asks: the sockets over the cap were closed with 1013 (try again later), and the server stayed up.' : '**Not what PERF.md asks** (the sockets over the cap closed with 1013, all the others kept).'}`,
    );
  }
  return block;
}

// ---------------------------------------------------------------- all

export function renderReport(report: LocksReport): { text: string; markdown: string } {
  const intro: Block = { markdown: [], text: [] };
  words(
    intro,
    `Co-working ticket locks (the \`lock\` area): three parts, each beside its baseline measured in the same run. Servers under test are started with \`startServer\` (\`loadConfig({})\`, port 0, log level silent, default lock TTL) on a fresh database (${report.database}), seeded through the services: ${report.seeded.staff} staff, ${report.seeded.inboxes} inboxes, ${report.seeded.conversations} conversations. Code measured: ${report.code}.`,
  );
  const parts: Array<[string, Block]> = [];
  if (report.fanout?.steps.length)
    parts.push(['1. Lock-event fan-out', fanoutPart(report, report.fanout)]);
  if (report.statements || report.ops) parts.push(['2. Lock operations', opsPart(report)]);
  if (report.memory || report.cap) parts.push(['3. Sockets', socketsPart(report)]);

  const behaviour: Block = { markdown: [], text: [] };
  for (const after of report.fanoutAfter ?? []) {
    const { watchers } = after;
    const odd = !after.serverUp || watchers.errors > 0 || Object.keys(watchers.lost).length > 0;
    if (odd)
      words(
        behaviour,
        `**${VARIANT_NAMES[after.key]}** after the fan-out: server ${after.serverUp ? 'up' : '**down**'}, ${watchers.errors} subscription errors${watchers.firstError ? ` (first: \`${watchers.firstError.slice(0, 200)}\`)` : ''}, sockets dropped: ${JSON.stringify(watchers.lost)}.`,
      );
  }
  for (const failure of report.failures)
    words(
      behaviour,
      `**${failure.part} failed**: \`${failure.error.split('\n')[0]?.slice(0, 400)}\``,
    );
  if (behaviour.markdown.length) parts.push(['Problems seen', behaviour]);

  const markdown = [
    ...intro.markdown,
    ...parts.flatMap(([title, block]) => [`### ${title}`, ...block.markdown]),
  ].join('\n\n');
  const text = [
    ...intro.text,
    ...parts.flatMap(([title, block]) => [`== ${title}`, ...block.text]),
  ].join('\n\n');
  return { text, markdown };
}
