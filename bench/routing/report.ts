import { Report, count, ms, percent, rate, ratio, us } from '../support/report';
import { median } from '../support/stats';
import type { AgentsStats } from './agents-worker';
import type { Invariants } from './checks';
import type { RoutingOptions } from './options';
import type { BaselineFigures, DrainFigures, LatencyFigures } from './phases';

export interface RoutingReport {
  options: RoutingOptions;
  database: string;
  redis: string;
  baseline: BaselineFigures[];
  drains: DrainFigures[];
  latency: LatencyFigures[];
  soak: DrainFigures[];
  soakSeconds: number;
  /** The agents' processes, at the end of each configuration. */
  events: Array<{ instances: number; stats: AgentsStats }>;
  /** Routings made while each configuration ran (warm-up, drains, latency, soak). */
  routingsByInstances: Record<number, number>;
  invariants?: Invariants;
}

const instancesName = (n: number) => (n === 1 ? 'one instance' : `${n} instances`);
const drainName = (f: DrainFigures) =>
  `${instancesName(f.instances)}, ${f.mode.kind === 'closes' ? 'closes' : 'capacity at once'}`;

export function renderRoutingReport(data: RoutingReport): Report {
  const { options } = data;
  const claims = median(data.baseline.map((round) => round.rate));
  const report = new Report()
    .heading('Routings per second')
    .note(
      `${options.agents} agents (capacity ${options.capacity}) with a console each (myAssignments socket + HTTP); ${options.queue.toLocaleString('en-US')} conversations wait, then the agents come ONLINE. ` +
        '"closes": each agent closes a conversation as its ASSIGNED event arrives (a close frees the capacity the next routing takes); "capacity at once": the capacity is raised so the whole queue fits (the routing engine alone). ' +
        `Baseline (\`support/baselines/claim-loop.ts\`): ${options.baselineWorkers} workers claiming rows with one \`FOR UPDATE SKIP LOCKED\` statement in plain pg, median of ${data.baseline.length} rounds alternating with the drains. ` +
        `Database: ${data.database}; Redis: ${data.redis}. PERF.md goal: ≥ 0.5x the claim loop.`,
    );
  report.table(
    [
      '',
      'routed',
      'routings/s',
      '/ baseline',
      'server CPU / routing',
      'Postgres CPU / routing',
      'SQL / routing',
      'machine used by others',
    ],
    [
      ...data.drains.map((f) => [
        drainName(f),
        f.span.count.toLocaleString('en-US'),
        `**${rate(f.rate)}**`,
        `**${ratio(f.rate / claims)}**`,
        us(f.perRouting.serverCpuUs),
        us(f.perRouting.postgresCpuUs),
        count(f.perRouting.statements),
        percent(f.othersShare),
      ]),
      [
        `baseline: plain-pg claim loop (median of ${data.baseline.length})`,
        data.baseline.reduce((sum, round) => sum + round.claims, 0).toLocaleString('en-US'),
        `**${rate(claims)}**`,
        '1.00x',
        `${us(median(data.baseline.map((round) => round.clientCpuUsPerClaim)))} (client)`,
        us(median(data.baseline.map((round) => round.postgresCpuUsPerClaim))),
        '1',
        '',
      ],
    ],
  );

  report
    .heading('Latency: startConversation → ASSIGNED at the agent’s socket')
    .note(
      'One conversation at a time, agents ONLINE and nothing waiting; on two instances the requests alternate and the event crosses through Redis when the socket is on the other one.',
    )
    .table(
      ['', 'samples', 'p50', 'p99', 'HTTP answer p50', 'event on the other instance'],
      data.latency.map((l) => [
        instancesName(l.instances),
        l.samples,
        `**${ms(l.p50)}**`,
        `**${ms(l.p99)}**`,
        ms(l.answerP50),
        l.crossInstance,
      ]),
    );

  const inv = data.invariants;
  if (inv) {
    const drains = [...data.drains, ...data.soak];
    const stats = data.events.map((e) => e.stats);
    const sum = (pick: (s: AgentsStats) => number) =>
      stats.reduce((total, s) => total + pick(s), 0);
    const twoInstances = data.routingsByInstances[2] ?? 0;
    report
      .heading('Invariants over the whole run')
      .note(
        'Every routing of every phase. Capacity is checked at every commit by a deferred trigger of the benchmark (`checks.ts`) and by polling during the drains. PERF.md: 0 violations and 0 double assignments over 100,000 routings with routers on two instances.',
      )
      .table(
        ['check', 'result'],
        [
          [
            'routings (two instances routing at once)',
            `${inv.routings.toLocaleString('en-US')} (${twoInstances.toLocaleString('en-US')})`,
          ],
          ['double assignments', `**${inv.doubleAssignments}**`],
          ['capacity violations at commit', `**${inv.capacityViolations}**`],
          [
            'drains where an agent held more than the capacity (polled)',
            drains.filter((f) => f.mostHeld > f.mode.capacity).length,
          ],
          [
            'ASSIGNED events: conversations / events / duplicates',
            `${sum((s) => s.distinct)} / ${sum((s) => s.assigned)} / ${sum((s) => s.duplicates)}`,
          ],
          [
            'client errors',
            `${sum((s) => s.errors)}${stats.find((s) => s.firstError)?.firstError ? `: ${stats.find((s) => s.firstError)?.firstError}` : ''}`,
          ],
          [
            'kept-alive connections dropped under a request: sent again / starts found done / starts sent again',
            `${sum((s) => s.dropped.resent)} / ${sum((s) => s.dropped.startsFound)} / ${sum((s) => s.dropped.startsResent)}`,
          ],
          ['conversations left open', `${inv.leftOpen} of ${inv.conversations}`],
        ],
      );
  }
  if (data.soak.length)
    report.note(
      `Soak: ${data.soak.length} more drains on two instances in ${Math.round(data.soakSeconds)} s, routing at ${rate(median(data.soak.map((f) => f.rate)))} (median of the drains).`,
    );
  return report;
}
