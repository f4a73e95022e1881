import { deepStrictEqual } from 'node:assert';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { statementCounter } from '../../src/db/data-source';
import { startServer, type TandemServer } from '../../src/server';
import { startRawServer } from './raw-server';
import { seedFoundation } from './seed';
import { type Benchmark, parseLoadOptions } from '../support/benchmark';
import { type VariantSummary, compareAlternately, otherCpuShare } from '../support/compare';
import { machineBusyUs, ownCpuUs, processTreeCpuUs, startGcClock } from '../support/cpu';
import {
  formatMs,
  formatRate,
  formatRatio,
  formatUs,
  markdownTable,
  textTable,
} from '../support/format';
import { LIST_GOAL_SHARE, PERF_APOLLO_TRIVIAL_RATE } from '../support/perf-reference';
import { REQUEST_COLUMNS, requestRatioRow, requestRow } from '../support/request-table';
import { LoadGenerator } from '../support/load';
import { openBenchDatabase } from '../support/postgres';

const ROWS = 50;
const CONVERSATIONS = 3;
/** Our server's Postgres pool (createDataSource's default); the baseline gets as many. */
const POOL_SIZE = 10;
/** Above this share of the machine used by other processes in a round, the figures get a caution. */
const BUSY_MACHINE = 0.1;

const foundationQuery = (rows: number) =>
  `{ customers(first: ${rows}) { edges { node { contacts { value } ` +
  `conversations(first: ${CONVERSATIONS}) { edges { node { assignee { name } } } } } } } }`;

interface Answer {
  data?: {
    customers: {
      edges: Array<{
        node: {
          contacts: Array<{ value: string }>;
          conversations: { edges: Array<{ node: { assignee: { name: string } | null } }> };
        };
      }>;
    };
  };
  errors?: unknown[];
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Answer;
}

/** Both sides must do the same work: the same answer, with every relation filled. */
function requireSameAnswer(ours: Answer, baseline: Answer): void {
  if (ours.errors) throw new Error(`our server answered errors: ${JSON.stringify(ours.errors)}`);
  const edges = ours.data?.customers.edges ?? [];
  const complete =
    edges.length === ROWS &&
    edges.every(
      ({ node }) =>
        node.contacts.length === 2 &&
        node.conversations.edges.length === CONVERSATIONS &&
        node.conversations.edges.every((edge) => edge.node.assignee?.name),
    );
  if (!complete) throw new Error(`the seeded data is not what the query expects`);
  try {
    deepStrictEqual(baseline, ours);
  } catch (error) {
    throw new Error(`the baseline's answer differs from ours:\n${String(error)}`);
  }
}

/** SQL statements one request sends (the fewest of 3, in case a background task ran). */
async function statementsPerRequest(
  server: TandemServer,
  rows: number,
  headers: Record<string, string>,
): Promise<number> {
  const counter = statementCounter(server.dataSource);
  let fewest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = counter.count;
    const answer = await post(
      server.url,
      JSON.stringify({ query: foundationQuery(rows) }),
      headers,
    );
    if (answer.errors) throw new Error(`our server answered errors: ${JSON.stringify(answer)}`);
    fewest = Math.min(fewest, counter.count - before);
  }
  return fewest;
}

/** The figures in plain words, including when they are poor. */
function reading(
  ours: VariantSummary,
  base: VariantSummary,
  statements: { few: number; many: number; fewRows: number },
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
    `Ours serves **${formatRatio(share)}** the raw baseline's throughput ` +
      `(${formatRate(ours.throughput)} vs ${formatRate(base.throughput)}); its median latency is ` +
      `${formatRatio(ours.p50 / base.p50)} and its p99 ${formatRatio(ours.p99 / base.p99)} ` +
      `the baseline's. ${verdict}`,
  ];
  const server = [ours.perRequest.serverCpuUs, base.perRequest.serverCpuUs];
  const pg = [ours.perRequest.postgresCpuUs, base.perRequest.postgresCpuUs];
  if (server.every(Number.isFinite) && pg.every(Number.isFinite)) {
    const [oursServer, baseServer] = server as [number, number];
    const [oursPg, basePg] = pg as [number, number];
    const extra = oursServer - baseServer + (oursPg - basePg);
    lines.push(
      `Where the time goes: per request, the server process spends ${formatUs(oursServer)} of ` +
        `CPU for ours against ${formatUs(baseServer)} for the baseline ` +
        `(${formatRatio(oursServer / baseServer)}), and Postgres ${formatUs(oursPg)} against ` +
        `${formatUs(basePg)} (${formatRatio(oursPg / basePg)}). Of the extra CPU per request, ` +
        `${Math.round(((oursServer - baseServer) / extra) * 100)}% is in our server process ` +
        `(HTTP and Apollo layers, auth, GraphQL execution, type-graphql resolvers, TypeORM) and ` +
        `${Math.round(((oursPg - basePg) / extra) * 100)}% in Postgres; garbage collection ` +
        `alone takes ${formatUs(ours.perRequest.serverGcUs ?? Number.NaN)} per request of ours. ` +
        `With everything on the same cores, CPU per request is what bounds throughput.`,
    );
  }
  const constant = statements.few === statements.many;
  lines.push(
    `SQL statements per request: ${statements.few} at ${statements.fewRows} rows and ` +
      `${statements.many} at ${ROWS} rows (${constant ? 'independent of the row count, as PERF.md requires' : 'GROWING with the row count: an N+1'}); ` +
      `ours counts the bearer-token lookup, the baseline has no auth.`,
  );
  const goal = PERF_APOLLO_TRIVIAL_RATE * LIST_GOAL_SHARE;
  lines.push(
    `PERF.md's goal for lists with nested fields is ${LIST_GOAL_SHARE}x Apollo's trivial-query ` +
      `throughput (~${formatRate(PERF_APOLLO_TRIVIAL_RATE)} there, so ~${formatRate(goal)}; ` +
      `PERF.md's figure, not measured in this run): at ${formatRate(ours.throughput)} ours is ` +
      `${ours.throughput >= goal ? 'within it' : `**${formatRatio(ours.throughput / goal)} of the goal**`}.`,
  );
  return lines;
}

export const benchmark: Benchmark = {
  summary: `customers(first: ${ROWS}) with contacts, conversations and assignees, vs plain pg + node http`,

  async run(context) {
    const options = parseLoadOptions(context.args, {
      rounds: 3,
      durationMs: 10_000,
      warmupMs: 3_000,
      concurrency: 16,
    });
    const database = await openBenchDatabase(context);

    const config = {
      ...loadConfig(),
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent' as const,
      secretsKey: randomBytes(32), // the bench stores no provider secrets
    };
    const server = await startServer({ config, databaseUrl: database.url });
    context.defer(() => server.stop());

    context.log('seeding through the services');
    const data = await seedFoundation(server, {
      customers: ROWS,
      conversationsPerCustomer: CONVERSATIONS,
    });
    const { counts } = data;
    context.log(
      `seeded ${counts.staff} staff, ${counts.customers} customers, ${counts.contacts} contacts, ` +
        `${counts.conversations} conversations`,
    );

    const raw = await startRawServer({
      databaseUrl: database.url,
      organizationId: data.organizationId,
      viewerId: data.viewer.staffId,
      customers: ROWS,
      conversationsPerCustomer: CONVERSATIONS,
      poolSize: POOL_SIZE,
    });
    context.defer(() => raw.stop());

    const body = JSON.stringify({ query: foundationQuery(ROWS) });
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${data.viewer.token}`,
    };
    requireSameAnswer(await post(server.url, body, headers), await post(raw.url, body, headers));
    const fewRows = 10;
    const statements = {
      fewRows,
      few: await statementsPerRequest(server, fewRows, headers),
      many: await statementsPerRequest(server, ROWS, headers),
    };

    const generator = await LoadGenerator.start();
    context.defer(() => generator.stop());
    const { postmasterPid } = database;
    const gc = startGcClock();
    context.defer(() => gc.stop());
    const comparison = await compareAlternately({
      context,
      generator,
      options,
      // Both servers live in this process, one under load at a time; Postgres is shared.
      counters: () => ({
        machineBusyUs: machineBusyUs(),
        serverCpuUs: ownCpuUs(),
        serverGcUs: gc.totalUs(),
        ...(postmasterPid ? { postgresCpuUs: processTreeCpuUs(postmasterPid) } : {}),
      }),
      variants: [
        {
          name: 'baseline',
          request: { url: raw.url, headers, body },
          counters: () => ({ statements: raw.statements() }),
        },
        {
          name: 'ours',
          request: { url: server.url, headers, body, failIfBodyIncludes: '"errors"' },
          counters: () => ({ statements: statementCounter(server.dataSource).count }),
        },
      ],
    });

    const [base, ours] = comparison.summaries as [VariantSummary, VariantSummary];
    const summaryRows = [
      requestRow(base.variant, base),
      requestRow(ours.variant, ours),
      requestRatioRow(ours, base),
    ];
    const cpus = os.cpus().length;
    const otherShares = comparison.rounds.map((result) =>
      otherCpuShare(result, ['serverCpuUs', 'postgresCpuUs'], cpus),
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
    const busiest = Math.max(...otherShares);
    const words = [
      ...(busiest > BUSY_MACHINE
        ? [
            `**Caution:** processes outside this benchmark kept up to ${Math.round(busiest * 100)}% ` +
              `of the machine busy during a round (see Rounds): absolute figures are depressed ` +
              `and noisier; the ratios less so, since both sides alternate. Rerun on a quiet machine.`,
          ]
        : []),
      ...reading(ours, base, statements),
    ];
    console.log(
      `\n${textTable(REQUEST_COLUMNS, summaryRows)}\n\n${textTable(roundColumns, roundRows)}`,
    );
    console.log(`\n${words.join('\n\n').replace(/\*\*/g, '')}`);

    const { rounds, durationMs, warmupMs, concurrency } = options;
    const markdown = [
      `The query`,
      '',
      `    ${foundationQuery(ROWS)}`,
      '',
      `over HTTP (POST, keep-alive, the bearer token of an AGENT who sees every conversation through
their inbox), against a **raw baseline** in the same run: the same rows fetched with plain \`pg\`
(customers; then contacts and conversations at once; then assignees: 4 statements; a pool of
${POOL_SIZE} connections on each side) and serialized with \`JSON.stringify\` by a bare node
\`http\` handler. Both answers are checked to be identical before measuring.`,
      '',
      `- Load: closed loop, ${concurrency} concurrent keep-alive connections. After a warm-up of
  ${warmupMs / 1000} s per side, ${rounds} round${rounds === 1 ? '' : 's'} of ${durationMs / 1000} s
  per side, alternating baseline, ours, baseline, ours...; figures are the medians of the rounds.
  The machine may be shared: before each run the benchmark waits (up to 2 min) for it to be idle,
  and the Rounds table shows how much of it other processes used anyway.
- Processes: the load generator is a forked child process (\`bench/support/load-worker.ts\`,
  latencies from \`process.hrtime\`); both servers run in the benchmark's main process, one under
  load at a time; Postgres runs in its own processes; all share the same cores.
- Data, seeded through the services: ${counts.staff} staff (1 admin, ${counts.staff - 1} agents),
  ${counts.customers} customers with ${counts.contacts} contacts, ${counts.conversations} conversations
  (3 to 5 per customer, each opened with a message, all assigned).
- Database: ${database.description}. Events: ${server.pubsub.kind}.
- CPU columns: user + system time per request of the benchmark's process (the server under load;
  "of which GC": its garbage-collection pauses), of the Postgres cluster (from /proc) and of the
  load generator.`,
      '',
      markdownTable(REQUEST_COLUMNS, summaryRows),
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
