import { deepStrictEqual } from 'node:assert';
import os from 'node:os';
import { loadConfig } from '../../src/config';
import { statementCounter } from '../../src/db/data-source';
import { startServer } from '../../src/server';
import { explainSearches, type PlanFigure } from './plans';
import {
  REPORT_DOCUMENT,
  REPORT_GROUPS,
  SEARCH_DOCUMENT,
  SEARCH_KINDS,
  type SearchCase,
  searchCases,
} from './queries';
import { startRawAssistServer } from './raw-server';
import { COMMON_SURNAME_COUNT, seedAssist } from './seed';
import { type Benchmark, parseLoadOptions } from '../support/benchmark';
import { codeState } from '../support/code-state';
import { compareAlternately, otherCpuShare, type VariantSummary } from '../support/compare';
import { machineBusyUs, ownCpuUs, processTreeCpuUs, startGcClock } from '../support/cpu';
import { formatMs, formatRate, formatRatio, markdownTable, textTable } from '../support/format';
import type { ClientScript } from '../support/load';
import { LoadGenerator } from '../support/load';
import { openBenchDatabase } from '../support/postgres';
import { REQUEST_COLUMNS, requestRatioRow, requestRow } from '../support/request-table';
import { median } from '../support/stats';

const SHAPE = { customers: 100_000, sessions: 100_000, agents: 50, days: 90 };
/** Customers the search cases are drawn from (each gives one case of every kind). */
const SAMPLES = 5;
const POOL_SIZE = 10;
const BUSY_MACHINE = 0.1;

type Workload = 'search' | 'report';

interface Answer {
  data?: unknown;
  errors?: unknown[];
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Answer;
}

/** Every client sends every body in turn, each starting at a different one. */
function rotated(bodies: string[], clients: number): ClientScript[] {
  return Array.from({ length: clients }, (_, i) => ({
    bodies: bodies.map((_, j) => bodies[(i * 7 + j) % bodies.length] as string),
  }));
}

function planRows(figures: PlanFigure[]): string[][] {
  const order = new Map<string, number>(SEARCH_KINDS.map((kind, index) => [kind, index]));
  return [...figures]
    .sort((a, b) => (order.get(a.kind) ?? 0) - (order.get(b.kind) ?? 0))
    .map((figure) => [
      figure.kind,
      figure.matches.join(', '),
      formatMs(median(figure.executionMs)),
      formatMs(Math.max(...figure.executionMs)),
      [...figure.indexes]
        .sort()
        .map((index) => `\`${index}\``)
        .join(', '),
      figure.scans.size ? `**${[...figure.scans].join(', ')}**` : 'none',
    ]);
}

/** Which queries Postgres chose to answer by reading a table whole, and why that is sound. */
function scanNote(plans: PlanFigure[], customers: number): string[] {
  const scanned = plans.flatMap((plan) => plan.scanned.map((s) => ({ ...s, kind: plan.kind })));
  if (scanned.length === 0) return ['Every search statement was answered from the indexes.'];
  const listed = scanned
    .map(
      (s) =>
        `"${s.query}" (${s.kind}, ${s.matches.toLocaleString('en-US')} matches, ` +
        `${((100 * s.matches) / customers).toFixed(1)}% of the customers)`,
    )
    .join(', ');
  return [
    `Postgres planned ${scanned.length === 1 ? 'one query' : `${scanned.length} queries`} with ` +
      `a table read whole: ${listed}. Where a query matches thousands of customers, one pass ` +
      `over the table is cheaper than the index, and the planner says so; every other query ` +
      `was answered from the indexes.`,
  ];
}

export const benchmark: Benchmark = {
  summary:
    'searchCustomers over 100,000 customers and assistReport over 100,000 sessions, vs plain pg',

  async run(context) {
    const load = parseLoadOptions(context.args, {
      rounds: 3,
      durationMs: 8_000,
      warmupMs: 3_000,
      concurrency: 8,
    });
    const database = await openBenchDatabase(context);
    const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', logLevel: 'silent' as const };
    const server = await startServer({ config, databaseUrl: database.url });
    context.defer(() => server.stop());

    context.log(
      `seeding ${SHAPE.customers.toLocaleString('en-US')} customers and ` +
        `${SHAPE.sessions.toLocaleString('en-US')} assist sessions`,
    );
    const seedStarted = Date.now();
    const data = await seedAssist(server, SHAPE);
    const seedSeconds = Math.round((Date.now() - seedStarted) / 1000);
    context.log(`seeded in ${seedSeconds} s: ${JSON.stringify(data.counts)}`);

    const raw = await startRawAssistServer({
      databaseUrl: database.url,
      organizationId: data.organizationId,
      poolSize: POOL_SIZE,
    });
    context.defer(() => raw.stop());

    const cases: SearchCase[] = await searchCases(server.dataSource, data.organizationId, SAMPLES);
    const bodies: Record<Workload, string[]> = {
      search: cases.map(({ query }) =>
        JSON.stringify({ query: SEARCH_DOCUMENT, variables: { q: query } }),
      ),
      report: REPORT_GROUPS.map((groupBy) =>
        JSON.stringify({
          query: REPORT_DOCUMENT,
          variables: { from: data.from, to: data.to, groupBy },
        }),
      ),
    };
    const headers = (token: string) => ({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${token}`,
    });
    const tokens: Record<Workload, string> = {
      search: data.agent.token,
      report: data.supervisor.token,
    };

    // Both sides must do the same work: the same answers, every one.
    const counter = statementCounter(server.dataSource);
    const statements: Record<Workload, number> = { search: 0, report: 0 };
    for (const workload of ['search', 'report'] as const) {
      for (const body of bodies[workload]) {
        const before = counter.count;
        const ours = await post(server.url, body, headers(tokens[workload]));
        statements[workload] = Math.max(statements[workload], counter.count - before);
        if (ours.errors) throw new Error(`ours answered errors: ${JSON.stringify(ours.errors)}`);
        const baseline = await post(raw.url, body, {});
        try {
          deepStrictEqual(baseline, ours);
        } catch (error) {
          throw new Error(`${body}: the baseline's answer differs from ours:\n${String(error)}`);
        }
      }
      context.log(`${workload}: ${bodies[workload].length} requests answered identically`);
    }

    context.log('explaining every search statement');
    const plans = await explainSearches(server.dataSource, data.organizationId, cases);

    const generator = await LoadGenerator.start();
    context.defer(() => generator.stop());
    const gc = startGcClock();
    context.defer(() => gc.stop());
    const { postmasterPid } = database;
    const workloads: Workload[] = ['search', 'report'];
    const comparison = await compareAlternately({
      context,
      generator,
      options: load,
      counters: () => ({
        machineBusyUs: machineBusyUs(),
        serverCpuUs: ownCpuUs(),
        serverGcUs: gc.totalUs(),
        ...(postmasterPid ? { postgresCpuUs: processTreeCpuUs(postmasterPid) } : {}),
      }),
      variants: workloads.flatMap((workload) => [
        {
          name: `baseline ${workload}`,
          request: {
            url: raw.url,
            headers: { 'content-type': 'application/json' },
            clients: rotated(bodies[workload], load.concurrency),
          },
          counters: () => ({ statements: raw.statements() }),
        },
        {
          name: `ours ${workload}`,
          request: {
            url: server.url,
            headers: headers(tokens[workload]),
            clients: rotated(bodies[workload], load.concurrency),
            failIfBodyIncludes: '"errors"',
          },
          counters: () => ({ statements: counter.count }),
        },
      ]),
    });
    const summaryOf = (name: string) =>
      comparison.summaries.find((summary) => summary.variant === name) as VariantSummary;

    const cpus = os.cpus().length;
    const otherShares = comparison.rounds.map((round) =>
      otherCpuShare(round, ['serverCpuUs', 'postgresCpuUs'], cpus),
    );
    const busiest = Math.max(...otherShares);
    const tables = workloads.map((workload) => {
      const base = summaryOf(`baseline ${workload}`);
      const ours = summaryOf(`ours ${workload}`);
      return {
        workload,
        base,
        ours,
        rows: [requestRow('baseline', base), requestRow('ours', ours), requestRatioRow(ours, base)],
      };
    });
    const planColumns = [
      'query',
      'matches',
      'Postgres execution, median',
      'max',
      'indexes used',
      'tables read whole',
    ];
    console.log(
      `\n${tables.map((t) => `${t.workload}\n${textTable(REQUEST_COLUMNS, t.rows)}`).join('\n\n')}` +
        `\n\nsearch statements alone (EXPLAIN ANALYZE)\n${textTable(planColumns, planRows(plans))}`,
    );

    const [search, report] = tables as [(typeof tables)[0], (typeof tables)[0]];
    const executions = plans.flatMap((plan) => plan.executionMs);
    const words = [
      ...(busiest > BUSY_MACHINE
        ? [
            `**Caution:** other processes kept up to ${Math.round(busiest * 100)}% of the machine ` +
              `busy during a round: absolute figures are depressed; the ratios less so.`,
          ]
        : []),
      `**searchCustomers**: p50 ${formatMs(search.ours.p50)} and p99 ${formatMs(search.ours.p99)} ` +
        `over HTTP at ${load.concurrency} concurrent clients, against ${formatMs(search.base.p50)} ` +
        `and ${formatMs(search.base.p99)} for the same statement through plain \`pg\` ` +
        `(${formatRatio(search.ours.p50 / search.base.p50)} and ${formatRatio(search.ours.p99 / search.base.p99)}); ` +
        `throughput ${formatRate(search.ours.throughput)} against ${formatRate(search.base.throughput)} ` +
        `(${formatRatio(search.ours.throughput / search.base.throughput)}). Alone, the statement ` +
        `runs in ${formatMs(median(executions))} of Postgres time at the median of the ` +
        `${cases.length} queries and ${formatMs(Math.max(...executions))} at worst: the cost is the ` +
        `ranking Postgres does, and ours adds the GraphQL layer on top of the same round trip ` +
        `(${statements.search} statements per request: the bearer-token lookup and the search).`,
      ...scanNote(plans, data.counts.customers),
      `**assistReport**: p50 ${formatMs(report.ours.p50)} and p99 ${formatMs(report.ours.p99)} ` +
        `against ${formatMs(report.base.p50)} and ${formatMs(report.base.p99)} for the same ` +
        `aggregate in plain SQL (${formatRatio(report.ours.p50 / report.base.p50)}); each request ` +
        `aggregates all ${data.counts.sessions.toLocaleString('en-US')} sessions (a ${SHAPE.days}-day ` +
        `range), so Postgres' scan dominates both sides (${statements.report} statements per ` +
        `request of ours).`,
    ];
    console.log(`\n${words.join('\n\n').replace(/\*\*|`/g, '')}`);

    const roundColumns = [
      'round',
      'variant',
      'p50',
      'p99',
      'throughput',
      'requests',
      'machine used by others',
    ];
    const roundRows = comparison.rounds.map((result, index) => [
      String(result.round),
      result.variant,
      formatMs(result.load.p50),
      formatMs(result.load.p99),
      formatRate(result.load.throughput),
      result.load.requests.toLocaleString('en-US'),
      `${Math.round((otherShares[index] ?? 0) * 100)}%`,
    ]);
    const markdown = [
      `Assisted service at volume: \`searchCustomers(query, first: 20)\` over
${data.counts.customers.toLocaleString('en-US')} customers (${data.counts.contacts.toLocaleString('en-US')}
contacts; ${data.counts.names.toLocaleString('en-US')} distinct names, a third sharing ${COMMON_SURNAME_COUNT}
common surnames), as an AGENT; \`assistReport\` over ${data.counts.sessions.toLocaleString('en-US')}
ended sessions of ${data.counts.agents} agents (${data.from} to ${data.to}, one line per
service, channel, agent or outcome in turn), as a SUPERVISOR. Each against a **raw baseline**: the
very same statement (\`searchStatement\`, \`reportStatement\`) run with plain \`pg\` (prepared,
a pool of ${POOL_SIZE}), shaped and serialized by a bare node \`http\` handler; every answer is
checked identical to ours before measuring.`,
      '',
      `- Search queries: ${cases.length}, ${SAMPLES} customers' worth of each kind (full name, a
  typo in it, surname, its first 4 letters, email, username, number in E.164, in national format,
  5 of its digits, street address); each client sends them all in turn, from a different start.
- Load: closed loop, ${load.concurrency} concurrent keep-alive connections; warm-up
  ${load.warmupMs / 1000} s per variant, then ${load.rounds} rounds of ${load.durationMs / 1000} s
  per variant alternating baseline and ours; figures are medians of the rounds. Both servers in
  the benchmark's process, one under load at a time; the load generator a child process.
- Data: written with set-based SQL in ${seedSeconds} s (shaped as the services write it: E.164
  numbers, lower-case emails, both also contacts); the staff the load acts as made through the
  services. Database: ${database.description}, vacuumed and analyzed after seeding.
- Code measured: ${codeState()}.`,
      '',
      '**searchCustomers**',
      '',
      markdownTable(REQUEST_COLUMNS, search.rows),
      '',
      '**assistReport**',
      '',
      markdownTable(REQUEST_COLUMNS, report.rows),
      '',
      `**The search statement alone**, per kind of query (\`EXPLAIN (ANALYZE)\` in the
benchmark's database, the best of three runs of each query; matches are the ranked customers,
its \`totalCount\`):`,
      '',
      markdownTable(planColumns, planRows(plans)),
      '',
      words.join('\n\n'),
      '',
      '<details><summary>Rounds</summary>',
      '',
      markdownTable(roundColumns, roundRows),
      '',
      '</details>',
    ].join('\n');
    return { markdown };
  },
};
