import path from 'node:path';
import { type Block, table, words } from '../support/report-blocks';
import { formatCount, formatMs, formatRate, formatRatio, formatUs } from '../support/format';
import { median } from '../support/stats';
import type { AgentsStats } from './agents-worker';
import type { FunctionStat, Invariants, WaitSamples } from './checks';
import type { RoutingOptions } from './options';
import type { BaselineFigures, DrainFigures, LatencyFigures, ProfileFigures } from './phases';

/** PERF.md: routing goal and stretch, conversations routed per second. */
const GOAL = 1300;
const STRETCH = 5000;
/** PERF.md's figures for this machine, quoted (not measured here). */
const PERF_CLAIMS = 7300;
const PERF_SIX_ROUND_TRIPS = 2600;

export interface RoutingReport {
  options: RoutingOptions;
  code: string;
  database: string;
  redis: string;
  lockTtlSeconds: number;
  customers: number;
  warmupRoutings: number;
  baseline: BaselineFigures[];
  drains: DrainFigures[];
  latency: LatencyFigures[];
  profile?: ProfileFigures;
  soak: DrainFigures[];
  soakSeconds: number;
  /** The agents' processes, at the end of each configuration. */
  events: Array<{ instances: number; stats: AgentsStats }>;
  /** Routings made while each configuration ran (warm-up, drains, latency, profile, soak). */
  routingsByInstances: Record<number, number>;
  invariants?: Invariants;
  functions?: FunctionStat[];
}

const instancesName = (n: number) => (n === 1 ? 'one instance' : `${n} instances`);
/** A drain's configuration and what freed the capacity it routed into. */
const drainName = (f: DrainFigures) =>
  f.mode.kind === 'closes'
    ? `${instancesName(f.instances)}, closes`
    : `${instancesName(f.instances)}, capacity at once`;
const pct = (share: number) => `${Math.round(share * 100)}%`;

/** Shares of the sampled busy backends, per drain, for the most frequent keys of `pick`. */
function samplesTable(
  block: Block,
  heading: string,
  drains: DrainFigures[],
  pick: (waits: WaitSamples) => Record<string, number>,
  rows: number,
): void {
  const total = (f: DrainFigures) => Object.values(pick(f.waits)).reduce((sum, n) => sum + n, 0);
  const keys = new Map<string, number>();
  for (const f of drains)
    for (const [key, n] of Object.entries(pick(f.waits)))
      keys.set(key, (keys.get(key) ?? 0) + n / (total(f) || 1));
  const ordered = [...keys].sort((a, b) => b[1] - a[1]).map(([key]) => key);
  table(
    block,
    [heading, ...drains.map(drainName)],
    ordered
      .slice(0, rows)
      .map((key) => [
        key.includes(' | ') ? key.replace(' | ', ': `') + '`' : key,
        ...drains.map((f) => (total(f) ? pct((pick(f.waits)[key] ?? 0) / total(f)) : 'n/a')),
      ]),
  );
}

function waitsTables(block: Block, drains: DrainFigures[]): void {
  samplesTable(block, 'backends of the database, sampled', drains, (w) => w.states, 10);
  words(
    block,
    `On average ${drains
      .map(
        (f) =>
          `${(Object.values(f.waits.states).reduce((sum, n) => sum + n, 0) / (f.waits.samples || 1)).toFixed(1)} ` +
          `backends were busy (${drainName(f)})`,
      )
      .join(', ')}. By statement (what each of them was running, waiting in, or idle after):`,
  );
  samplesTable(block, 'state: statement', drains, (w) => w.statements, 14);
  const kinds = [...new Set(drains.flatMap((f) => Object.keys(f.postgresKinds)))]
    .map((kind) => ({
      kind,
      us: drains.map((f) => f.postgresKinds[kind] ?? 0),
    }))
    .filter(({ us }) => us.some((value) => value >= 1))
    .sort((a, b) => (b.us[0] ?? 0) - (a.us[0] ?? 0));
  words(block, 'Postgres CPU per routing, by process (from /proc):');
  table(
    block,
    ['Postgres process', ...drains.map(drainName)],
    kinds.map(({ kind, us }) => [kind, ...us.map((value) => formatUs(value))]),
  );
}

export function renderRoutingReport(report: RoutingReport): { text: string; markdown: string } {
  const { options } = report;
  const block: Block = { markdown: [], text: [] };
  const baseRate = median(report.baseline.map((round) => round.rate));
  const baseDoubles = report.baseline.reduce((sum, round) => sum + round.doubleClaims, 0);

  words(
    block,
    `Conversations routed per second by our routing engine (\`tandem_claim_agent\` under ` +
      `capacity, FIFO queue heads \`FOR UPDATE SKIP LOCKED\`, one statement per batch of up to ` +
      `16 routings from the queue, \`tandem_route_queue\`, with their history and their events ` +
      `to the inbox and to the agent), on one instance and on two instances sharing Postgres and ` +
      `Redis, beside a **baseline** measured in the same run: a one-statement \`SKIP LOCKED\` ` +
      `claim loop with plain \`pg\` (${options.baselineWorkers} workers, \`UPDATE ... WHERE id = ` +
      `(SELECT id ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING\`, autocommit, ` +
      `${options.baselineSeconds} s per round, ${report.baseline.length} rounds between the ` +
      `configurations). Code measured: ${report.code}.`,
    `- The contact center: ${options.agents} agents, members of one inbox with a capacity of ` +
      `${options.capacity} open conversations each, signed in (a sign-in keeps them reachable: ` +
      `servers run with \`lockTtlSeconds\` ${report.lockTtlSeconds}), each with a console in the ` +
      `agents' process (\`bench/routing/agents-worker.ts\`): a graphql-ws socket subscribed to ` +
      `\`myAssignments\` and a keep-alive HTTP connection, on instance i % instances. ` +
      `Seeded through the services (organization, inbox, agents, ${report.customers} customers).`,
    `- A measured drain: with every agent AWAY, the dispatcher (the admin, over HTTP, ` +
      `${options.fillConcurrency} at a time) starts ${options.queue.toLocaleString('en-US')} ` +
      `conversations: they all wait in the queue. Then every agent sets itself ONLINE ` +
      `(\`setMyStatus\`, all at once) and closes (\`closeConversation\`) each conversation as ` +
      `soon as its ASSIGNED event arrives on its socket: each close frees capacity and the ` +
      `server routes the next waiting conversation into it, until the queue is empty. ` +
      `**Routings/s**: routing decisions with an assignee, counted from the first decision's ` +
      `time to the last one's (\`routing_decision.at\`). Before each configuration's measured ` +
      `drain, an unmeasured one of ${report.warmupRoutings}.`,
    `- A measured drain of the routing engine alone ("capacity at once"): the same queue ` +
      `waits, the dispatcher raises the inbox's agent capacity so that all of it fits ` +
      `(\`updateInbox\`, ${options.queue.toLocaleString('en-US')} / ${options.agents} agents), and ` +
      `the agents come ONLINE and keep what they get: the ${options.agents} status changes start ` +
      `the servers' drains at once, and no close shares the machine with the routings. Then ` +
      `the agents close everything (not measured) and the capacity goes back to ${options.capacity}.`,
    `- Per routing: CPU of the server processes (user + system, their garbage collection ` +
      `apart), of Postgres (the cluster's processes, from /proc), of the agents' process and of ` +
      `Redis, and the SQL statements the servers sent, over the drain; a routing's cost here ` +
      `includes the close that freed the capacity (the HTTP mutation and its transaction), since ` +
      `that is what drives the queue.`,
    `- Checks: a deferred constraint trigger of the benchmark's own counts, at the commit of ` +
      `every transaction that leaves a conversation OPEN with an assignee, the agent's open ` +
      `conversations in the inbox and records any count over the capacity (its cost, one ` +
      `indexed count per assignment, is in the figures); the drain polls the inbox every 200 ms ` +
      `(the most conversations one agent holds; the end of the queue); the agents' process ` +
      `counts the ASSIGNED events per conversation.`,
    `- Database: ${report.database}. Redis: ${report.redis} (both configurations publish ` +
      `through it). Every process shares the same ${report.drains[0]?.cpus ?? '?'} cores.`,
  );

  const drainRows = report.drains.map((f) => [
    drainName(f),
    f.span.count.toLocaleString('en-US'),
    `**${formatRate(f.rate)}**`,
    formatRatio(f.rate / GOAL),
    formatRatio(f.rate / baseRate),
    formatUs(f.perRouting.serverCpuUs),
    formatUs(f.perRouting.serverGcUs),
    formatUs(f.perRouting.postgresCpuUs),
    formatUs(f.perRouting.agentsCpuUs),
    formatUs(f.perRouting.redisCpuUs),
    formatCount(f.perRouting.statements),
    `${f.wallSeconds.toFixed(1)} s`,
    pct(f.othersShare),
  ]);
  drainRows.push([
    `baseline: plain-pg claim loop (median of ${report.baseline.length})`,
    report.baseline.reduce((sum, round) => sum + round.claims, 0).toLocaleString('en-US'),
    `**${formatRate(baseRate)}**`,
    formatRatio(baseRate / GOAL),
    '1.00x',
    `${formatUs(median(report.baseline.map((r) => r.clientCpuUsPerClaim)))} (client)`,
    '',
    formatUs(median(report.baseline.map((r) => r.postgresCpuUsPerClaim))),
    '',
    '',
    '1',
    `${options.baselineSeconds} s`,
    '',
  ]);
  table(
    block,
    [
      '',
      'routed',
      'routings/s',
      '/ goal 1,300',
      '/ baseline',
      'server CPU / routing',
      'of which GC',
      'Postgres CPU / routing',
      'agents CPU / routing',
      'Redis CPU / routing',
      'SQL / routing',
      'drain time',
      'machine used by others',
    ],
    drainRows,
  );

  const verdict = (rate: number) =>
    rate >= STRETCH
      ? `within the stretch goal (${formatRate(STRETCH)})`
      : rate >= GOAL
        ? `**within the goal** of ${formatRate(GOAL)} (the stretch is ${formatRate(STRETCH)})`
        : `**short of the goal** of ${formatRate(GOAL)}: ${formatRatio(rate / GOAL)}`;
  for (const kind of ['capacity', 'closes'] as const) {
    const drains = report.drains.filter((f) => f.mode.kind === kind);
    const best = drains.reduce(
      (top, f) => (!top || f.rate > top.rate ? f : top),
      undefined as DrainFigures | undefined,
    );
    if (!best) continue;
    words(
      block,
      `${kind === 'capacity' ? 'The routing engine (capacity at once)' : 'Routing as closes free capacity'}: ` +
        `best ${formatRate(best.rate)} (${instancesName(best.instances)}), ${verdict(best.rate)}. ` +
        drains
          .map(
            (f) =>
              `${instancesName(f.instances)}: ${formatRate(f.rate)}, ${formatRatio(f.rate / baseRate)} ` +
              `the claim loop's ${formatRate(baseRate)} measured beside it.`,
          )
          .join(' '),
    );
  }
  words(
    block,
    `For scale, PERF.md measured ~${formatRate(PERF_CLAIMS)} for the claim loop and ` +
      `~${formatRate(PERF_SIX_ROUND_TRIPS)} for a 6-round-trip routing transaction enforcing ` +
      `capacity on this kind of machine (quoted, not measured in this run).`,
  );
  const [one, two] = [1, 2].map((n) =>
    report.drains.find((f) => f.instances === n && f.mode.kind === 'capacity'),
  );
  if (one && two)
    words(
      block,
      `A second instance changes the engine's rate by ${formatRatio(two.rate / one.rate)}: both ` +
        `instances and Postgres share the same ${one.cpus} cores, so a second instance adds ` +
        `no CPU; what it can change is how the work queues (two event loops, two pools of ` +
        `Postgres connections).`,
    );
  words(
    block,
    `Baseline rounds: ${report.baseline.map((round) => `${formatRate(round.rate)} (${round.claims.toLocaleString('en-US')} claims, ${round.doubleClaims} double)`).join('; ')}; ` +
      `${baseDoubles} rows claimed twice in all.`,
  );

  // Latency
  if (report.latency.length) {
    words(
      block,
      `**Latency** from the dispatcher's \`startConversation\` request to the ASSIGNED event at ` +
        `the socket of the agent it was routed to (agents ONLINE, nothing waiting; one ` +
        `conversation at a time, the agent closes it before the next; ${options.latencyWarmup} ` +
        `unmeasured first; on two instances the requests alternate between them, and the event ` +
        `crosses to the other instance through Redis when the agent's socket is there):`,
    );
    table(
      block,
      [
        '',
        'samples',
        'p50',
        'p99',
        'max',
        'HTTP answer p50',
        'HTTP answer p99',
        'event on the other instance',
      ],
      report.latency.map((l) => [
        instancesName(l.instances),
        String(l.samples),
        `**${formatMs(l.p50)}**`,
        `**${formatMs(l.p99)}**`,
        formatMs(l.max),
        formatMs(l.answerP50),
        formatMs(l.answerP99),
        `${l.crossInstance} of ${l.samples + options.latencyWarmup}`,
      ]),
    );
  }

  // Invariants
  const inv = report.invariants;
  if (inv) {
    const allDrains = [
      ...report.drains,
      ...report.soak,
      ...(report.profile ? [report.profile.drain] : []),
    ];
    const mostHeld = Math.max(...allDrains.map((f) => f.mostHeld));
    const overCapacity = allDrains.filter((f) => f.mostHeld > f.mode.capacity).length;
    const capacities = [...new Set(allDrains.map((f) => f.mode.capacity))].join(' or ');
    const polls = allDrains.reduce((sum, f) => sum + f.polls, 0);
    const events = report.events.reduce((sum, e) => sum + e.stats.assigned, 0);
    const distinct = report.events.reduce((sum, e) => sum + e.stats.distinct, 0);
    const duplicates = report.events.reduce((sum, e) => sum + e.stats.duplicates, 0);
    const errors = report.events.reduce((sum, e) => sum + e.stats.errors, 0);
    const firstError = report.events.find((e) => e.stats.firstError)?.stats.firstError;
    const ok =
      inv.doubleAssignments === 0 &&
      inv.capacityViolations === 0 &&
      overCapacity === 0 &&
      duplicates === 0 &&
      distinct === inv.routings;
    words(
      block,
      `**Invariants over the whole run** (every routing of every phase: warm-ups, measured ` +
        `drains, latency samples${report.profile ? ', the profiled drain' : ''}` +
        `${report.soak.length ? ', the soak' : ''}), ${ok ? 'all hold' : '**NOT ALL HOLD**'}:`,
    );
    table(
      block,
      ['check', 'result'],
      [
        ['routings (decisions with an assignee)', inv.routings.toLocaleString('en-US')],
        [
          'double assignments (conversations given an assignee by more than one decision)',
          `**${inv.doubleAssignments}**`,
        ],
        [
          'capacity violations recorded at commit (deferred trigger: an agent over capacity in the inbox)',
          `**${inv.capacityViolations}**`,
        ],
        [
          `most open conversations one agent held, at ${polls.toLocaleString('en-US')} polls during the drains (capacity ${capacities}); drains where one held more than the capacity`,
          `${mostHeld}; ${overCapacity}`,
        ],
        [
          'ASSIGNED events received by the agents (conversations / events / duplicates)',
          `${distinct.toLocaleString('en-US')} / ${events.toLocaleString('en-US')} / ${duplicates}`,
        ],
        [
          'client errors (failed mutations, socket errors)',
          `${errors}${firstError ? `: ${firstError}` : ''}`,
        ],
        [
          'conversations left open at the end',
          `${inv.leftOpen} of ${inv.conversations.toLocaleString('en-US')}`,
        ],
      ],
    );
    const twoInstanceRoutings = report.routingsByInstances[2] ?? 0;
    words(
      block,
      `PERF.md asks for 0 violations and 0 double assignments over 100,000 routings with ` +
        `concurrent routers on two instances. This run made ${inv.routings.toLocaleString('en-US')} ` +
        `routings, ${twoInstanceRoutings ? `${twoInstanceRoutings.toLocaleString('en-US')} of them with two instances routing at once` : 'none on two instances'}` +
        (inv.routings >= 100_000
          ? '.'
          : `; \`--routings 100000\` adds drains on two instances until the run has made that many ` +
            `(measured rate ~${formatRate(report.drains.filter((f) => f.mode.kind === 'closes').at(-1)?.rate ?? Number.NaN)}, plus the time to fill each queue).`),
    );
    if (report.soak.length) {
      const routed = report.soak.reduce((sum, f) => sum + f.span.count, 0);
      const routingSeconds = report.soak.reduce((sum, f) => sum + (f.span.count - 1) / f.rate, 0);
      words(
        block,
        `Soak: ${report.soak.length} more drains of up to ${options.queue.toLocaleString('en-US')} ` +
          `on two instances, ${routed.toLocaleString('en-US')} routings in ` +
          `${report.soakSeconds.toFixed(0)} s (filling the queues included); routing itself ` +
          `ran at ${formatRate(routed / routingSeconds)} on average (per drain: ` +
          `${report.soak.map((f) => Math.round(f.rate)).join(', ')}).`,
      );
    }
  }

  // Where the time goes
  words(
    block,
    `**Where the time goes.** What Postgres' backends of the benchmark's database were doing ` +
      `during the measured drains (\`pg_stat_activity\` sampled every ~20 ms; shares of the ` +
      `busy backends: running, waiting, or idle inside a transaction while the server works out ` +
      `its next statement). The sampler itself needs a free core to run, so it undercounts ` +
      `"running": read the CPU from the table below it; lock waits last and are counted well:`,
  );
  waitsTables(block, report.drains);
  const appendWaits = report.drains.map((f) => {
    const busy = Object.values(f.waits.states).reduce((sum, n) => sum + n, 0);
    const waiting = Object.entries(f.waits.statements)
      .filter(([key]) => key.startsWith('Lock:') && key.includes('tandem_append_event'))
      .reduce((sum, [, n]) => sum + n, 0);
    return busy ? waiting / busy : 0;
  });
  if (appendWaits.some((share) => share >= 0.2))
    words(
      block,
      `The largest state is backends waiting for a row lock inside \`tandem_append_event\` ` +
        `(${appendWaits.map(pct).join(' and ')} of the busy backends): every event appended to a ` +
        `stream takes the stream's \`stream_seq\` row (\`INSERT ... ON CONFLICT DO UPDATE\`) and ` +
        `holds it until its transaction commits. Every routing and every close of the inbox ` +
        `appends to the same stream (the inbox's conversation events), so they all queue on ` +
        `one row, each holding it from its append (its last statement, or the end of ` +
        `\`tandem_route_queue\`) through its commit, the WAL flush included.`,
    );
  if (report.functions?.length && report.invariants) {
    const routings = report.invariants.routings;
    words(
      block,
      `Our SQL functions over the whole run (\`track_functions = 'all'\` on the database; every ` +
        `phase, queue filling included; per routing = divided by the run's ` +
        `${routings.toLocaleString('en-US')} routings):`,
    );
    table(
      block,
      [
        'function',
        'calls',
        'calls / routing',
        'time / call',
        'of which its own body',
        'time / routing',
      ],
      report.functions.map((fn) => [
        `\`${fn.name}\``,
        fn.calls.toLocaleString('en-US'),
        formatCount(fn.calls / routings),
        formatUs((fn.totalMs * 1000) / fn.calls),
        formatUs((fn.selfMs * 1000) / fn.calls),
        formatUs((fn.totalMs * 1000) / routings),
      ]),
    );
  }
  const fn = (name: string) => report.functions?.find((f) => f.name === name);
  const [claim, openCount, live] = [
    fn('tandem_claim_agent'),
    fn('tandem_open_count'),
    fn('tandem_staff_live'),
  ];
  if (claim && openCount && live && report.invariants) {
    const routings = report.invariants.routings;
    const claimsPerRouting = report.profile
      ? (report.profile.statements.find((st) => st.shape.includes('tandem_claim_agent'))?.count ??
          0) / report.profile.routings
      : Number.NaN;
    words(
      block,
      `Each \`tandem_claim_agent\` call made ${formatCount(openCount.calls / claim.calls)} calls ` +
        `of \`tandem_open_count\` and ${formatCount(live.calls / claim.calls)} of ` +
        `\`tandem_staff_live\` (the inbox has ${options.agents} members): the claim evaluates ` +
        `every member, every time, so its cost grows with the inbox ` +
        `(${formatUs((claim.totalMs * 1000) / claim.calls)} per call on average here). ` +
        (Number.isFinite(claimsPerRouting)
          ? `A routing from the queue made ${formatCount(claimsPerRouting)} claims (the one that ` +
            `finds the agent, and the one that finds nobody and ends the drain). `
          : '') +
        `Over the run that is ${formatUs(((openCount.totalMs + live.totalMs) * 1000) / routings)} ` +
        `of Postgres time per routing in those two functions alone, against ` +
        `${formatUs(median(report.baseline.map((r) => r.postgresCpuUsPerClaim)))} of Postgres CPU ` +
        `for a whole claim of the baseline. \`tandem_append_event\`'s time per call is mostly ` +
        `the wait for the stream's row described above.`,
    );
  }
  const profile = report.profile;
  if (profile) {
    const per = (n: number) => n / profile.routings;
    words(
      block,
      `Instance A's CPU, profiled (V8's sampling profiler) over a drain of ` +
        `${profile.routings.toLocaleString('en-US')} on one instance at ` +
        `${formatRate(profile.drain.rate)}: ${formatUs((profile.summary.busyMs * 1000) / profile.routings)} ` +
        `per routing (self time, idle left out; \`${path.basename(profile.summary.file)}\` in ` +
        `\`${path.relative(process.cwd(), path.dirname(profile.summary.file))}\`, open it in Chrome DevTools):`,
    );
    table(
      block,
      ['where (self time)', 'share', 'per routing'],
      profile.summary.areas
        .slice(0, 12)
        .map((area) => [
          area.name,
          `${(area.share * 100).toFixed(1)}%`,
          formatUs((area.ms * 1000) / profile.routings),
        ]),
    );
    table(
      block,
      ['function (self time)', 'share'],
      profile.summary.functions
        .slice(0, 12)
        .map((fn) => [`\`${fn.name}\``, `${(fn.share * 100).toFixed(1)}%`]),
    );
    words(
      block,
      `SQL statements instance A sent during that drain: ` +
        `${formatCount(per(profile.statementTotal))} per routing (the close that freed the ` +
        `capacity included), by kind:`,
    );
    table(
      block,
      ['statement', 'per routing'],
      profile.statements
        .filter(({ count }) => count / profile.routings >= 0.05)
        .slice(0, 20)
        .map(({ shape, count }) => [`\`${shape}\``, formatCount(per(count))]),
    );
  }

  // Details
  const detailRows = [...report.drains, ...report.soak].map((f, index) => [
    index < report.drains.length ? 'measured' : 'soak',
    drainName(f),
    f.queued.toLocaleString('en-US'),
    `${f.fillSeconds.toFixed(1)} s`,
    Object.entries(f.span.reasons)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', '),
    formatRate(f.rate),
    String(f.mostHeld),
    `${f.events} / ${f.duplicateEvents}`,
  ]);
  const details: Block = { markdown: [], text: [] };
  table(
    details,
    [
      'drain',
      'configuration',
      'queued',
      'fill time',
      'decisions by reason',
      'routings/s',
      'most held',
      'events / duplicates',
    ],
    detailRows,
  );
  block.markdown.push('<details><summary>Every drain</summary>', ...details.markdown, '</details>');
  block.text.push(...details.text);
  return { text: block.text.join('\n\n'), markdown: block.markdown.join('\n\n') };
}
