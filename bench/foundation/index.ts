import { inProcessConfig } from '../support/config';
import { startServer } from '../../src/server';
import { type Benchmark, parseLoadOptions } from '../support/benchmark';
import { openBenchDatabase } from '../support/postgres';
import { Report } from '../support/report';
import {
  beforeAndAfter,
  compareRequests,
  loadNote,
  requestTables,
  requireSameAnswer,
  statementsPerRequest,
} from '../support/requests';
import { startRawServer } from './raw-server';
import { seedFoundation } from './seed';

const ROWS = 50;
const CONVERSATIONS = 3;
/** Our server's Postgres pool (createDataSource's default); the baseline gets as many. */
const POOL_SIZE = 10;

const foundationQuery = (rows: number) =>
  `{ customers(first: ${rows}) { edges { node { contacts { value } ` +
  `conversations(first: ${CONVERSATIONS}) { edges { node { assignee { name } } } } } } } }`;

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

    const server = await startServer({ config: inProcessConfig(), databaseUrl: database.url });
    context.defer(() => server.stop());

    context.log('seeding through the services');
    const data = await seedFoundation(server, {
      customers: ROWS,
      conversationsPerCustomer: CONVERSATIONS,
    });
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
    const answer = (await requireSameAnswer({ url: server.url, headers }, raw, body)) as {
      data: { customers: { edges: unknown[] } };
    };
    if (answer.data.customers.edges.length !== ROWS)
      throw new Error('the seeded data is not what the query expects');
    const fewRows = JSON.stringify({ query: foundationQuery(10) });
    const statements = [
      await statementsPerRequest(server, fewRows, headers),
      await statementsPerRequest(server, body, headers),
    ];

    const pair = await beforeAndAfter(context, database.url);
    const comparison = await compareRequests({
      context,
      options,
      server,
      baseline: raw,
      pair,
      postmasterPid: database.postmasterPid,
      workloads: [
        {
          name: 'customers',
          ours: { url: server.url, headers, body },
          baseline: { url: raw.url, body },
        },
      ],
    });
    const { counts } = data;
    const report = new Report().note(
      `\`${foundationQuery(ROWS)}\` over HTTP as an AGENT, against plain pg (4 statements) + JSON.stringify behind bare node http (\`foundation/raw-server.ts\`), answers checked identical. ` +
        `${loadNote(options)} Data: ${counts.customers} customers, ${counts.contacts} contacts, ${counts.conversations} conversations; ${database.description}. ` +
        `SQL statements per request of ours: ${statements[0]} at 10 rows, ${statements[1]} at ${ROWS} (PERF.md: independent of the row count). PERF.md goal: ≥ 0.5x the baseline's throughput.` +
        (pair
          ? " Before and after (`BENCH_BEFORE_TREE`): an earlier tree's server and this tree's, each in a process of its own (server CPU: that process), the same requests."
          : ''),
    );
    requestTables(report, comparison, ['customers']);
    return report;
  },
};
