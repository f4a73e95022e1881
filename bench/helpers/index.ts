import { inProcessConfig } from '../support/config';
import { startServer } from '../../src/server';
import { type Benchmark, parseLoadOptions } from '../support/benchmark';
import { openBenchDatabase } from '../support/postgres';
import { Report } from '../support/report';
import {
  type Workload,
  beforeAndAfter,
  compareRequests,
  loadNote,
  requestTables,
  requireSameAnswer,
  statementsPerRequest,
} from '../support/requests';
import { CUSTOMERS_PATH, MY_CUSTOMERS_PATH, startRawHelpersServer } from './raw-server';
import { seedHelpers } from './seed';

const ROWS = 50;
/** Customers in the organization; the viewer helps HELPED of them (more than a page). */
const CUSTOMERS = 80;
const HELPED = 60;
/** Our server's Postgres pool (createDataSource's default); the baseline gets as many. */
const POOL_SIZE = 10;

const QUERIES = {
  myCustomers: {
    path: MY_CUSTOMERS_PATH,
    text: (rows: number) =>
      `{ myCustomers(first: ${rows}) { edges { node { id name helpers { staff { name } } ` +
      `lastConversation { id status } } } } }`,
  },
  customers: {
    path: CUSTOMERS_PATH,
    text: (rows: number) =>
      `{ customers(first: ${rows}) { edges { node { helperCount helperTag ` +
      `helpers { staff { name } } } } } }`,
  },
};
const NAMES = ['myCustomers', 'customers'] as const;

export const benchmark: Benchmark = {
  summary: `myCustomers and customers(first: ${ROWS}) with helpers, vs plain pg + node http`,

  async run(context) {
    const options = parseLoadOptions(context.args, {
      rounds: 3,
      durationMs: 8_000,
      warmupMs: 3_000,
      concurrency: 16,
    });
    const database = await openBenchDatabase(context);
    const server = await startServer({ config: inProcessConfig(), databaseUrl: database.url });
    context.defer(() => server.stop());

    context.log('seeding through the services');
    const data = await seedHelpers(server, { customers: CUSTOMERS, helpedByViewer: HELPED });
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

    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${data.viewer.token}`,
    };
    const statements: string[] = [];
    const workloads: Workload[] = [];
    for (const name of NAMES) {
      const { path, text } = QUERIES[name];
      const body = JSON.stringify({ query: text(ROWS) });
      const url = `${raw.url}${path}`;
      const answer = (await requireSameAnswer({ url: server.url, headers }, { url }, body)) as {
        data: Record<string, { edges: unknown[] }>;
      };
      if (answer.data[name]?.edges.length !== ROWS)
        throw new Error(`${name}: the seed should give ${ROWS} rows`);
      const few = await statementsPerRequest(server, JSON.stringify({ query: text(10) }), headers);
      const many = await statementsPerRequest(server, body, headers);
      statements.push(`${name} ${few} at 10 rows, ${many} at ${ROWS}`);
      workloads.push({ name, ours: { url: server.url, headers, body }, baseline: { url, body } });
    }

    const pair = await beforeAndAfter(context, database.url);
    const comparison = await compareRequests({
      context,
      options,
      server,
      baseline: raw,
      pair,
      postmasterPid: database.postmasterPid,
      workloads,
    });
    const { counts } = data;
    const report = new Report().note(
      `The dashboard (\`${QUERIES.myCustomers.text(ROWS)}\`) and the customer list (\`${QUERIES.customers.text(ROWS)}\`) over HTTP as an AGENT who helps ${HELPED} customers, ` +
        'each against plain pg + JSON.stringify behind bare node http (`helpers/raw-server.ts`: the same rows and rules), answers checked identical. ' +
        `${loadNote(options)} Data: ${counts.customers} customers, ${counts.conversations} conversations, ${counts.activeHelpers} helpers in force, ${counts.endedHelpers} ended; ${database.description}, analyzed. ` +
        `SQL statements per request of ours: ${statements.join('; ')} (PERF.md: independent of the row count). PERF.md goal: ≥ 0.5x the baseline's throughput.` +
        (pair
          ? " Before and after (`BENCH_BEFORE_TREE`): an earlier tree's server and this tree's, each in a process of its own (server CPU: that process), the same requests."
          : ''),
    );
    requestTables(report, comparison, [...NAMES]);
    return report;
  },
};
