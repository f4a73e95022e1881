import os from 'node:os';
import path from 'node:path';
import {
  formatMs,
  formatRate,
  formatRatio,
  formatUs,
  markdownTable,
  textTable,
} from '../support/format';
import {
  BUSY_MACHINE,
  type FanoutKey,
  type FanoutResult,
  type FanoutStep,
  VARIANT_NAMES,
  p50,
  p99,
} from './fanout';
import type { LocksOptions } from './options';
import { type Block, ratioBeside, table, verdict, words } from '../support/report-blocks';

/** PERF.md: lock-change fan-out p99 at most 1.0x plain graphql-ws, at 1,000 and 5,000 watchers. */
const FANOUT_GOAL = 1.0;
const FANOUT_GOAL_AT = [1000, 5000];

/** What the fan-out part needs to know of the run. */
export interface FanoutContext {
  options: LocksOptions;
  redis?: string;
  watcherStaff: number;
}

interface StepSummary {
  key: FanoutKey;
  samples: number;
  p50: number;
  p99: number;
  firstP50: number;
  answerP50: number;
  serverCpuPerDelivery: number;
  gcShare: number;
  longestGcMs: number;
  clientCpuPerDelivery: number;
}

function summarizeStep(step: FanoutStep, key: FanoutKey): StepSummary {
  const rounds = step.rounds.filter((round) => round.key === key);
  const samples = rounds.flatMap((round) => round.samples);
  const deliveries = samples.length * step.watchers;
  const cpu = rounds.reduce((sum, round) => sum + round.serverCpuUs, 0);
  const answers = samples.flatMap((sample) =>
    sample.answerMs === undefined ? [] : [sample.answerMs],
  );
  return {
    key,
    samples: samples.length,
    p50: p50(samples.map((sample) => sample.lastMs)),
    p99: p99(samples.map((sample) => sample.lastMs)),
    firstP50: p50(samples.map((sample) => sample.firstMs)),
    answerP50: answers.length ? p50(answers) : Number.NaN,
    serverCpuPerDelivery: cpu / deliveries,
    gcShare: rounds.reduce((sum, round) => sum + round.serverGcUs, 0) / cpu,
    longestGcMs: Math.max(...rounds.map((round) => round.longestGcMs)),
    clientCpuPerDelivery: rounds.reduce((sum, round) => sum + round.clientCpuUs, 0) / deliveries,
  };
}

export function fanoutPart(report: FanoutContext, fanout: FanoutResult): Block {
  const block: Block = { markdown: [], text: [] };
  const { options } = report;
  const measured = fanout.steps.map((step) => step.eventsPerRound * options.fanout.rounds);
  const perRound = fanout.steps.map((step) => step.eventsPerRound).join(', ');
  const remeasured = fanout.steps.reduce((sum, step) => sum + step.remeasured, 0);
  words(
    block,
    `W watchers subscribe to one inbox's \`ticketLockEvents(inboxId)\` (the console's full document: lock, holder, actor...), one graphql-ws socket each (\`createClient\` over \`ws\`, authenticated with \`connectionParams.authorization\`; ${report.watcherStaff} agents' sign-ins shared round-robin, every socket its own window). One window (an agent's HTTP sign-in session, \`x-client-session\`) opens its ticket, then releases it, over and over: each call makes one event (LOCKED, then RELEASED). **Time: from the openTicket/releaseTicket HTTP call to the event's arrival at the last watcher** (process.hrtime in the driving process and in the watchers' process). Ours runs with the in-process PubSub and, in a second server, through Redis (${report.redis ?? 'Redis'}); each watcher crowd has its own server.`,
    `**Baseline**: a bare \`graphql-ws\` server (graphql 16, \`graphql-ws/use/ws\`, a schema with one subscription field fed by an in-process PubSub, no auth, no database) publishing a payload of the same size to as many subscribers, watched the same way by the same client code; time from its \`publish\` call (hrtime inside its server) to the last receipt. Ours' time also includes the HTTP request, the SQL statement and its commit.`,
    `- Payload: the \`data\` JSON of one of our events is ${fanout.bytes.inProcess ?? fanout.bytes.redis ?? 'n/a'} bytes; the baseline's ${fanout.bytes.baseline ?? 'n/a'} bytes.
- Sockets grow step by step (${options.fanout.watchers.join(', ')}) and stay open; at each step every variant gets ${options.fanout.warmup} warm-up events, then ${options.fanout.rounds} rounds of ${perRound} events per variant, alternating baseline, ours in-process, ours Redis: ${measured.join(', ')} measured events per variant (p99 is nearest-rank: ${measured.map((n) => `of ${n} events it is ${slowest(n)}`).join('; ')}). The machine may be shared: each round waits (up to 30 s) for it to be idle first, a round during which other processes still used more than ${Math.round(BUSY_MACHINE * 100)}% of it is measured again, once (${remeasured} round${remeasured === 1 ? '' : 's'} in this run), and the Rounds table shows how much of it they used.
- Processes: each server under test in a process of its own (\`bench/locks/server-host.ts\`), each crowd of watchers in another (\`bench/locks/watcher-worker.ts\`), the driver in the benchmark's process; Postgres and Redis in theirs; all on the same ${os.cpus().length} cores.
- CPU per delivery: the server process's user + system time during the rounds divided by events x watchers (ours' includes the mutation's HTTP request and SQL, negligible per watcher); the watchers' process likewise.`,
  );
  const headers = [
    'watchers',
    'variant',
    'p50',
    'p99',
    'p50 / baseline',
    'p99 / baseline',
    'first watcher p50',
    'mutation answered p50',
    'server CPU / delivery',
    '/ baseline',
    'server GC share, longest pause',
    'watchers CPU / delivery',
  ];
  const rows: string[][] = [];
  const readings: string[] = [];
  for (const step of fanout.steps) {
    const base = summarizeStep(step, 'baseline');
    for (const key of ['baseline', 'inProcess', 'redis'] as const) {
      const summary = summarizeStep(step, key);
      if (!summary.samples) continue;
      rows.push([
        step.watchers.toLocaleString('en-US'),
        VARIANT_NAMES[key],
        formatMs(summary.p50),
        formatMs(summary.p99),
        key === 'baseline' ? '' : formatRatio(summary.p50 / base.p50),
        key === 'baseline' ? '' : `**${formatRatio(summary.p99 / base.p99)}**`,
        formatMs(summary.firstP50),
        Number.isFinite(summary.answerP50) ? formatMs(summary.answerP50) : '',
        formatUs(summary.serverCpuPerDelivery),
        key === 'baseline'
          ? ''
          : formatRatio(summary.serverCpuPerDelivery / base.serverCpuPerDelivery),
        `${Math.round(summary.gcShare * 100)}%, ${formatMs(summary.longestGcMs)}`,
        formatUs(summary.clientCpuPerDelivery),
      ]);
    }
    if (FANOUT_GOAL_AT.includes(step.watchers)) {
      for (const key of ['redis', 'inProcess'] as const) {
        const summary = summarizeStep(step, key);
        if (!summary.samples) continue;
        const ratio = summary.p99 / base.p99;
        readings.push(
          `At ${step.watchers.toLocaleString('en-US')} watchers, ${VARIANT_NAMES[key]}: p99 ` +
            `${formatMs(summary.p99)} against the baseline's ${formatMs(base.p99)}, ` +
            `**${ratioBeside(ratio, FANOUT_GOAL)}** (goal ≤ ${FANOUT_GOAL.toFixed(1)}x): ${verdict(ratio, FANOUT_GOAL)}; ` +
            `server CPU per delivery ${formatUs(summary.serverCpuPerDelivery)} against ` +
            `${formatUs(base.serverCpuPerDelivery)} (${formatRatio(summary.serverCpuPerDelivery / base.serverCpuPerDelivery)}; goal ≤ 1.0x).`,
        );
      }
    }
  }
  block.markdown.push(markdownTable(headers, rows));
  block.text.push(
    textTable(
      headers,
      rows.map((row) => row.map((cell) => cell.replace(/\*\*/g, ''))),
    ),
  );
  const busiest = Math.max(
    0,
    ...fanout.steps.flatMap((step) => step.rounds.map((round) => round.othersShare)),
  );
  if (busiest > BUSY_MACHINE)
    readings.unshift(
      `**Caution:** processes outside this benchmark kept up to ${Math.round(busiest * 100)}% of the machine busy during a round, even after measuring it again (see Rounds): those figures are noisier; the ratios less so, since the variants alternate.`,
    );
  words(block, ...readings);

  const lastStep = fanout.steps[fanout.steps.length - 1];
  if (lastStep?.profiles.length) {
    words(
      block,
      `Where the server's time goes at ${lastStep.watchers.toLocaleString('en-US')} watchers (V8's sampling profiler inside each server process, ${lastStep.profiles[0]?.events} more events per variant after the rounds; self time, idle left out; the profiles are in \`${path.relative(process.cwd(), path.dirname(lastStep.profiles[0]?.summary.file ?? '.'))}\`, open them in Chrome DevTools):`,
    );
    for (const { key, events, summary } of lastStep.profiles) {
      const perDelivery = (summary.busyMs * 1000) / (events * lastStep.watchers);
      words(
        block,
        `**${VARIANT_NAMES[key]}**: ${formatMs(summary.busyMs / events)} of CPU per event, ${formatUs(perDelivery)} per delivery (\`${path.basename(summary.file)}\`).`,
      );
      table(
        block,
        ['where (self time)', 'share', 'per event'],
        summary.areas
          .slice(0, 10)
          .map((area) => [
            area.name,
            `${(area.share * 100).toFixed(1)}%`,
            formatMs(area.ms / events),
          ]),
      );
      table(
        block,
        ['function (self time)', 'share'],
        summary.functions
          .slice(0, 10)
          .map((fn) => [`\`${fn.name}\``, `${(fn.share * 100).toFixed(1)}%`]),
      );
    }
  }

  const roundRows = fanout.steps.flatMap((step) =>
    step.rounds.map((round) => {
      const last = round.samples.map((sample) => sample.lastMs);
      const deliveries = round.samples.length * step.watchers;
      return [
        step.watchers.toLocaleString('en-US'),
        String(round.round),
        VARIANT_NAMES[round.key],
        formatMs(p50(last)),
        formatMs(p99(last)),
        formatMs(Math.max(...last)),
        formatUs(round.serverCpuUs / deliveries),
        `${Math.round((round.serverGcUs / round.serverCpuUs) * 100)}%`,
        formatMs(round.longestGcMs),
        `${Math.round(round.othersShare * 100)}%`,
      ];
    }),
  );
  const connectRows = fanout.steps.flatMap((step) =>
    (['baseline', 'inProcess', 'redis'] as const).flatMap((key) => {
      const seconds = step.connectSeconds[key];
      const previous = fanout.steps[fanout.steps.indexOf(step) - 1]?.watchers ?? 0;
      return seconds === undefined || seconds === 0
        ? []
        : [
            [
              step.watchers.toLocaleString('en-US'),
              VARIANT_NAMES[key],
              `${(step.watchers - previous).toLocaleString('en-US')} in ${seconds.toFixed(1)} s`,
              formatRate((step.watchers - previous) / seconds),
            ],
          ];
    }),
  );
  block.markdown.push(
    '<details><summary>Rounds, and how fast the watchers connected</summary>',
    '',
    markdownTable(
      [
        'watchers',
        'round',
        'variant',
        'p50',
        'p99',
        'max',
        'server CPU / delivery',
        'of which GC',
        'longest GC pause',
        'machine used by others',
      ],
      roundRows,
    ),
    '',
    markdownTable(
      ['watchers', 'variant', 'sockets added', 'connect + subscribe rate'],
      connectRows,
    ),
    '',
    '</details>',
  );
  return block;
}

/** Which event the nearest-rank p99 of `n` events is, counted from the slowest. */
function slowest(n: number): string {
  const fromTop = n - Math.ceil(0.99 * n) + 1;
  if (fromTop === 1) return 'the slowest';
  const suffix = fromTop === 2 ? 'nd' : fromTop === 3 ? 'rd' : 'th';
  return `the ${fromTop}${suffix} slowest`;
}
