import { deepStrictEqual } from 'node:assert';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { statementCounter } from '../../src/db/data-source';
import { startServer, type TandemServer } from '../../src/server';
import { startRawHelpersServer } from './raw-server';
import { seedHelpers } from './seed';
import { type BenchContext, type Benchmark, parseLoadOptions } from '../support/benchmark';
import { codeState } from '../support/code-state';
import {
  type RoundResult,
  type VariantSummary,
  compareAlternately,
  otherCpuShare,
} from '../support/compare';
import { machineBusyUs, ownCpuUs, processTreeCpuUs, startGcClock } from '../support/cpu';
import {
  formatCount,
  formatMs,
  formatRate,
  formatRatio,
  formatUs,
  markdownTable,
  textTable,
} from '../support/format';
import { LIST_GOAL_SHARE, PERF_APOLLO_TRIVIAL_RATE } from '../support/perf-reference';
import { REQUEST_COLUMNS, requestRatioRow, requestRow } from '../support/request-table';
import { LoadGenerator, type LoadSpec } from '../support/load';
import { BENCH_DATA_DIR, openBenchDatabase } from '../support/postgres';
import { CpuProfiler, type ProfileSummary } from '../support/profile';

const ROWS = 50;
/** Customers in the organization; the viewer helps HELPED of them (more than a page). */
const CUSTOMERS = 80;
const HELPED = 60;
/** Our server's Postgres pool (createDataSource's default); the baseline gets as many. */
const POOL_SIZE = 10;
/** Above this share of the machine used by other processes in a round, the figures get a caution. */
const BUSY_MACHINE = 0.1;

type QueryKey = 'myCustomers' | 'customers';

const QUERIES: Record<QueryKey, { label: string; text: (rows: number) => string }> = {
  myCustomers: {
    label: 'dashboard: myCustomers',
    text: (rows) =>
      `{ myCustomers(first: ${rows}) { edges { node { id name helpers { staff { name } } ` +
      `lastConversation { id status } } } } }`,
  },
  customers: {
    label: 'customer list: customers',
    text: (rows) =>
      `{ customers(first: ${rows}) { edges { node { helperCount helperTag ` +
      `helpers { staff { name } } } } } }`,
  },
};
const KEYS: QueryKey[] = ['myCustomers', 'customers'];

export const HELPERS_USAGE = `options of "helpers":
  --rounds 3 --duration 8 --warmup 3   rounds per variant, seconds per round, warm-up seconds
  --concurrency 16                     concurrent keep-alive connections
  --profile-seconds 5                  V8 profile of our server under load per query (0: none)`;

interface HelpersOptions {
  load: ReturnType<typeof parseLoadOptions>;
  profileSeconds: number;
}

function parseOptions(args: string[]): HelpersOptions {
  const rest = [...args];
  let profileSeconds = 5;
  const at = rest.indexOf('--profile-seconds');
  if (at >= 0) {
    const raw = rest[at + 1];
    profileSeconds = Number(raw);
    if (!Number.isFinite(profileSeconds) || profileSeconds < 0)
      throw new Error(`--profile-seconds must be a number >= 0 (got "${raw}")\n\n${HELPERS_USAGE}`);
    rest.splice(at, 2);
  }
  const load = parseLoadOptions(rest, {
    rounds: 3,
    durationMs: 8_000,
    warmupMs: 3_000,
    concurrency: 16,
  });
  return { load, profileSeconds };
}

interface Answer {
  data?: Record<string, { edges: Array<{ node: Record<string, unknown> }> }>;
  errors?: unknown[];
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Answer;
}

/** What the page holds, to show the data exercises every rule (and to check it is full). */
function describeAnswer(key: QueryKey, answer: Answer): string {
  const nodes = (answer.data?.[key]?.edges ?? []).map((edge) => edge.node);
  if (nodes.length !== ROWS)
    throw new Error(`${key}: ${nodes.length} rows, the seed should give ${ROWS}`);
  const helpers = nodes.reduce((sum, node) => sum + (node.helpers as unknown[]).length, 0);
  if (key === 'myCustomers') {
    const last = nodes.map((node) => node.lastConversation as { status: string } | null);
    const closed = last.filter((conversation) => conversation?.status === 'CLOSED').length;
    const none = last.filter((conversation) => conversation === null).length;
    return `${nodes.length} customers, ${helpers} helpers, last conversations: ${nodes.length - none} (${closed} closed), ${none} without one the viewer may see`;
  }
  const tags: Record<string, number> = {};
  for (const node of nodes) tags[String(node.helperTag)] = (tags[String(node.helperTag)] ?? 0) + 1;
  return `${nodes.length} customers, ${helpers} helpers, tags ${Object.entries(tags)
    .map(([tag, count]) => `${tag} ${count}`)
    .join(', ')}`;
}

/** Both sides must do the same work: the same answer. */
function requireSameAnswer(key: QueryKey, ours: Answer, baseline: Answer): void {
  if (ours.errors) throw new Error(`our server answered errors: ${JSON.stringify(ours.errors)}`);
  try {
    deepStrictEqual(baseline, ours);
  } catch (error) {
    throw new Error(`${key}: the baseline's answer differs from ours:\n${String(error)}`);
  }
}

/** SQL statements one request sends (the fewest of 3, in case a background job ran). */
async function statementsPerRequest(
  server: TandemServer,
  key: QueryKey,
  rows: number,
  headers: Record<string, string>,
): Promise<number> {
  const counter = statementCounter(server.dataSource);
  let fewest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = counter.count;
    const answer = await post(
      server.url,
      JSON.stringify({ query: QUERIES[key].text(rows) }),
      headers,
    );
    if (answer.errors) throw new Error(`our server answered errors: ${JSON.stringify(answer)}`);
    fewest = Math.min(fewest, counter.count - before);
  }
  return fewest;
}

interface StatementFigure {
  few: number;
  many: number;
  fewRows: number;
}

/** The figures of one query in plain words, including when they are poor. */
function reading(
  key: QueryKey,
  ours: VariantSummary,
  base: VariantSummary,
  statements: StatementFigure,
): string[] {
  const share = ours.throughput / base.throughput;
  const verdict =
    share >= 0.8
      ? 'That is close to the raw floor.'
      : share >= 0.5
        ? 'That is a moderate cost over the raw floor.'
        : `That is poor: ours keeps only ${Math.round(share * 100)}% of what a hand-written ` +
          `endpoint serves on the same rows.`;
  const lines = [
    `**${QUERIES[key].label}**: ours serves **${formatRatio(share)}** the raw baseline's ` +
      `throughput (${formatRate(ours.throughput)} vs ${formatRate(base.throughput)}); its median ` +
      `latency is ${formatRatio(ours.p50 / base.p50)} and its p99 ${formatRatio(ours.p99 / base.p99)} ` +
      `the baseline's. ${verdict}`,
  ];
  const [oursServer, baseServer] = [ours.perRequest.serverCpuUs, base.perRequest.serverCpuUs];
  const [oursPg, basePg] = [ours.perRequest.postgresCpuUs, base.perRequest.postgresCpuUs];
  if ([oursServer, baseServer, oursPg, basePg].every((value) => Number.isFinite(value))) {
    const extraServer = (oursServer as number) - (baseServer as number);
    const extraPg = (oursPg as number) - (basePg as number);
    const serverShare = Math.round((extraServer / (extraServer + Math.max(0, extraPg))) * 100);
    lines.push(
      `Per request the server process spends ${formatUs(oursServer as number)} of CPU for ours ` +
        `against ${formatUs(baseServer as number)} for the baseline ` +
        `(${formatRatio((oursServer as number) / (baseServer as number))}), and Postgres ` +
        `${formatUs(oursPg as number)} against ${formatUs(basePg as number)} ` +
        `(${formatRatio((oursPg as number) / (basePg as number))}): ` +
        (extraPg > 0
          ? `${serverShare}% of the extra CPU is in our server process`
          : `Postgres does no more work for ours, all the extra CPU is in our server process`) +
        `; garbage collection alone is ${formatUs(ours.perRequest.serverGcUs ?? Number.NaN)} ` +
        `per request of ours. With everything on the same cores, CPU per request is what bounds ` +
        `throughput.`,
    );
  }
  const constant = statements.few === statements.many;
  lines.push(
    `SQL statements per request: ${statements.few} at ${statements.fewRows} rows and ` +
      `${statements.many} at ${ROWS} rows (${constant ? 'independent of the row count, as PERF.md requires' : '**GROWING with the row count: an N+1**'}); ` +
      `the baseline sends ${formatCount(base.perRequest.statements ?? Number.NaN)}; ours counts the ` +
      `bearer-token lookup, the baseline has no auth.`,
  );
  return lines;
}

function profileBlock(key: QueryKey, profile: ProfileSummary, requests: number): string[] {
  const perRequest = (ms: number) => formatUs((ms * 1000) / requests);
  const areas = profile.areas
    .slice(0, 12)
    .map((area) => [area.name, `${(area.share * 100).toFixed(1)}%`, perRequest(area.ms)]);
  const functions = profile.functions
    .slice(0, 12)
    .map((fn) => [`\`${fn.name}\``, `${(fn.share * 100).toFixed(1)}%`]);
  return [
    `**${QUERIES[key].label}**: ${formatUs((profile.busyMs * 1000) / requests)} of CPU per ` +
      `request in the profiled seconds, ${requests.toLocaleString('en-US')} requests ` +
      `(\`${path.basename(profile.file)}\`).`,
    markdownTable(['where (self time)', 'share', 'per request'], areas),
    markdownTable(['function (self time)', 'share'], functions),
  ];
}

async function profileOurs(
  context: BenchContext,
  generator: LoadGenerator,
  key: QueryKey,
  spec: Omit<LoadSpec, 'durationMs'>,
  seconds: number,
): Promise<{ summary: ProfileSummary; requests: number }> {
  context.log(`profiling ours under load: ${key} (${seconds} s)`);
  const profiler = new CpuProfiler();
  await profiler.start();
  const load = await generator.run({ ...spec, durationMs: seconds * 1000 });
  const summary = await profiler.stop(path.join(BENCH_DATA_DIR, `helpers-${key}.cpuprofile`));
  return { summary, requests: load.requests };
}

export const benchmark: Benchmark = {
  summary: `myCustomers and customers(first: ${ROWS}) with helpers, vs plain pg + node http`,

  async run(context) {
    const options = parseOptions(context.args);
    const database = await openBenchDatabase(context);
    const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', logLevel: 'silent' as const };
    const server = await startServer({ config, databaseUrl: database.url });
    context.defer(() => server.stop());

    context.log('seeding through the services');
    const data = await seedHelpers(server, { customers: CUSTOMERS, helpedByViewer: HELPED });
    const { counts } = data;
    context.log(`seeded ${JSON.stringify(counts)}`);
    // Planner statistics, as a database in service has them (both sides read the same tables).
    await server.dataSource.query('ANALYZE');

    const raw = await startRawHelpersServer({
      databaseUrl: database.url,
      organizationId: data.organizationId,
      viewerId: data.viewer.staffId,
      rows: ROWS,
      poolSize: POOL_SIZE,
    });
    context.defer(() => raw.stop());
    const rawUrl: Record<QueryKey, string> = {
      myCustomers: raw.myCustomersUrl,
      customers: raw.customersUrl,
    };

    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${data.viewer.token}`,
    };
    const body = (key: QueryKey) => JSON.stringify({ query: QUERIES[key].text(ROWS) });
    const described: Partial<Record<QueryKey, string>> = {};
    const statements: Partial<Record<QueryKey, StatementFigure>> = {};
    for (const key of KEYS) {
      const ours = await post(server.url, body(key), headers);
      requireSameAnswer(key, ours, await post(rawUrl[key], body(key), headers));
      described[key] = describeAnswer(key, ours);
      const fewRows = 10;
      statements[key] = {
        fewRows,
        few: await statementsPerRequest(server, key, fewRows, headers),
        many: await statementsPerRequest(server, key, ROWS, headers),
      };
      context.log(`${key}: answers identical; ${described[key]}`);
    }

    const generator = await LoadGenerator.start();
    context.defer(() => generator.stop());
    const { postmasterPid } = database;
    const gc = startGcClock();
    context.defer(() => gc.stop());
    const oursStatements = () => ({ statements: statementCounter(server.dataSource).count });
    const comparison = await compareAlternately({
      context,
      generator,
      options: options.load,
      // Both servers live in this process, one under load at a time; Postgres is shared.
      counters: () => ({
        machineBusyUs: machineBusyUs(),
        serverCpuUs: ownCpuUs(),
        serverGcUs: gc.totalUs(),
        ...(postmasterPid ? { postgresCpuUs: processTreeCpuUs(postmasterPid) } : {}),
      }),
      variants: KEYS.flatMap((key) => [
        {
          name: `baseline ${key}`,
          request: { url: rawUrl[key], headers, body: body(key) },
          counters: () => ({ statements: raw.statements() }),
        },
        {
          name: `ours ${key}`,
          request: { url: server.url, headers, body: body(key), failIfBodyIncludes: '"errors"' },
          counters: oursStatements,
        },
      ]),
    });

    const summaryOf = (name: string) =>
      comparison.summaries.find((summary) => summary.variant === name) as VariantSummary;
    const profiles: Array<{ key: QueryKey; summary: ProfileSummary; requests: number }> = [];
    if (options.profileSeconds > 0) {
      for (const key of KEYS) {
        const spec = {
          url: server.url,
          headers,
          body: body(key),
          failIfBodyIncludes: '"errors"',
          concurrency: options.load.concurrency,
        };
        profiles.push({
          key,
          ...(await profileOurs(context, generator, key, spec, options.profileSeconds)),
        });
      }
    }

    const cpus = os.cpus().length;
    const otherShares = comparison.rounds.map((result: RoundResult) =>
      otherCpuShare(result, ['serverCpuUs', 'postgresCpuUs'], cpus),
    );
    const busiest = Math.max(...otherShares);
    const sections: string[] = [];
    const terminal: string[] = [];
    const words: string[] = [];
    if (busiest > BUSY_MACHINE) {
      words.push(
        `**Caution:** processes outside this benchmark kept up to ${Math.round(busiest * 100)}% ` +
          `of the machine busy during a round (see Rounds): absolute figures are depressed and ` +
          `noisier; the ratios less so, since both sides alternate. Rerun on a quiet machine.`,
      );
    }
    for (const key of KEYS) {
      const base = summaryOf(`baseline ${key}`);
      const ours = summaryOf(`ours ${key}`);
      const rows = [
        requestRow('baseline', base),
        requestRow('ours', ours),
        requestRatioRow(ours, base),
      ];
      sections.push(
        `**${QUERIES[key].label}**`,
        '',
        `    ${QUERIES[key].text(ROWS)}`,
        '',
        `The page: ${described[key]}.`,
        '',
        markdownTable(REQUEST_COLUMNS, rows),
        '',
      );
      terminal.push(`${QUERIES[key].label}\n${textTable(REQUEST_COLUMNS, rows)}`);
      words.push(...reading(key, ours, base, statements[key] as StatementFigure));
    }
    const goal = PERF_APOLLO_TRIVIAL_RATE * LIST_GOAL_SHARE;
    const best = Math.max(...KEYS.map((key) => summaryOf(`ours ${key}`).throughput));
    words.push(
      `PERF.md's goal for lists with nested fields is ${LIST_GOAL_SHARE}x Apollo's trivial-query ` +
        `throughput (~${formatRate(PERF_APOLLO_TRIVIAL_RATE)} there, so ~${formatRate(goal)}; ` +
        `PERF.md's figure, not measured in this run): the faster of the two queries, at ` +
        `${formatRate(best)}, is ${best >= goal ? 'within it' : `**${formatRatio(best / goal)} of the goal**`}.`,
    );

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
    console.log(`\n${terminal.join('\n\n')}\n\n${textTable(roundColumns, roundRows)}`);
    console.log(`\n${words.join('\n\n').replace(/\*\*|`/g, '')}`);

    const { rounds, durationMs, warmupMs, concurrency } = options.load;
    const markdown = [
      `Two lists with helpers, over HTTP (POST, keep-alive, the bearer token of an AGENT who helps
${HELPED} customers and is a member of the General inbox, not of Billing), each against a **raw
baseline** in the same run: the same rows fetched with plain \`pg\` (dashboard: customers; then
helpers and last conversations at once; then staff names: 4 statements. List: customers, helpers,
staff names: 3 statements; a pool of ${POOL_SIZE} connections on each side) and serialized with
\`JSON.stringify\` by a bare node \`http\` handler. Both answers are checked to be identical
before measuring.`,
      '',
      `- Load: closed loop, ${concurrency} concurrent keep-alive connections. After a warm-up of
  ${warmupMs / 1000} s per variant, ${rounds} round${rounds === 1 ? '' : 's'} of ${durationMs / 1000} s
  per variant, alternating baseline and ours of the dashboard, then of the list, round after round;
  figures are the medians of the rounds. The machine may be shared: before each run the benchmark
  waits (up to 2 min) for it to be idle, and the Rounds table shows how much of it others used.
- Processes: the load generator is a forked child process (\`bench/support/load-worker.ts\`,
  latencies from \`process.hrtime\`); both servers run in the benchmark's main process, one under
  load at a time; Postgres runs in its own processes; all share the same cores.
- Data, seeded through the services (\`services.helpers.add\`, \`end\`, \`conversations.start\`,
  \`close\`): ${counts.staff} staff, ${counts.customers} customers, ${counts.conversations}
  conversations (${counts.hiddenConversations} of them in Billing, which the viewer may not see),
  ${counts.activeHelpers} helper assignments in force and ${counts.endedHelpers} ended.
- Database: ${database.description}, analyzed after seeding. Events: ${server.pubsub.kind}.
- Code measured: ${codeState()}.
- CPU columns: user + system time per request of the benchmark's process (the server under load;
  "of which GC": its garbage-collection pauses), of the Postgres cluster (from /proc) and of the
  load generator.`,
      '',
      ...sections,
      words.join('\n\n'),
      ...(profiles.length
        ? [
            '',
            `Where our server's time goes (V8's sampling profiler in the server's process, ` +
              `${options.profileSeconds} s of the same load per query after the rounds; self time, ` +
              `idle left out; the profiles are in \`${path.relative(process.cwd(), BENCH_DATA_DIR)}\`, ` +
              `open them in Chrome DevTools):`,
            '',
            ...profiles.flatMap(({ key, summary, requests }) => [
              ...profileBlock(key, summary, requests).flatMap((part) => [part, '']),
            ]),
          ]
        : []),
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
