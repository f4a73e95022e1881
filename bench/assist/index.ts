import { inProcessConfig } from '../support/config';
import { startServer } from '../../src/server';
import { type Benchmark, loadOptionsOf, loadSpec, parseOptions } from '../support/benchmark';
import { rotatedScripts } from '../support/load';
import { openBenchDatabase } from '../support/postgres';
import { Report } from '../support/report';
import { compareRequests, loadNote, requestTables, requireSameAnswer } from '../support/requests';
import { REPORT_DOCUMENT, REPORT_GROUPS, SEARCH_DOCUMENT, searchCases } from './queries';
import { startRawAssistServer } from './raw-server';
import { seedAssist } from './seed';

/** Customers the search cases are drawn from (each gives one case of every kind). */
const SAMPLES = 5;
const POOL_SIZE = 10;

const SPEC = {
  customers: { default: 100_000, help: 'customers searched' },
  sessions: { default: 100_000, help: 'assist sessions reported on' },
  ...loadSpec({ rounds: 3, durationMs: 8_000, warmupMs: 3_000, concurrency: 8 }),
};

export const benchmark: Benchmark = {
  summary:
    'searchCustomers over 100,000 customers and assistReport over 100,000 sessions, vs plain pg',

  async run(context) {
    const values = parseOptions(context.args, SPEC);
    const load = loadOptionsOf(values);
    const shape = { customers: values.customers, sessions: values.sessions, agents: 50, days: 90 };
    const database = await openBenchDatabase(context);
    const server = await startServer({ config: inProcessConfig(), databaseUrl: database.url });
    context.defer(() => server.stop());

    context.log(`seeding ${shape.customers} customers and ${shape.sessions} assist sessions`);
    const data = await seedAssist(server, shape);
    const raw = await startRawAssistServer({
      databaseUrl: database.url,
      organizationId: data.organizationId,
      poolSize: POOL_SIZE,
    });
    context.defer(() => raw.stop());

    const cases = await searchCases(server.dataSource, data.organizationId, SAMPLES);
    const bodies = {
      searchCustomers: cases.map(({ query }) =>
        JSON.stringify({ query: SEARCH_DOCUMENT, variables: { q: query } }),
      ),
      assistReport: REPORT_GROUPS.map((groupBy) =>
        JSON.stringify({
          query: REPORT_DOCUMENT,
          variables: { from: data.from, to: data.to, groupBy },
        }),
      ),
    };
    const tokens = { searchCustomers: data.agent.token, assistReport: data.supervisor.token };
    const names = ['searchCustomers', 'assistReport'] as const;
    for (const name of names) {
      const headers = { authorization: `Bearer ${tokens[name]}` };
      for (const body of bodies[name])
        await requireSameAnswer({ url: server.url, headers }, raw, body);
    }

    const comparison = await compareRequests({
      context,
      options: load,
      server,
      baseline: raw,
      postmasterPid: database.postmasterPid,
      workloads: names.map((name) => {
        const clients = rotatedScripts(bodies[name], load.concurrency, 7);
        return {
          name,
          ours: {
            url: server.url,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${tokens[name]}`,
            },
            clients,
          },
          baseline: { url: raw.url, headers: { 'content-type': 'application/json' }, clients },
        };
      }),
    });
    const { counts } = data;
    const report = new Report().note(
      `\`searchCustomers(query, first: 20)\` over ${counts.customers.toLocaleString('en-US')} customers as an AGENT (${cases.length} queries: names, typos, emails, numbers, addresses; each client sends them all in turn), ` +
        `and \`assistReport\` over ${counts.sessions.toLocaleString('en-US')} sessions as a SUPERVISOR (grouped by service, channel, agent, outcome in turn). ` +
        'Baseline: the very same statements (`searchStatement`, `reportStatement`) prepared in plain pg behind bare node http (`assist/raw-server.ts`), answers checked identical. ' +
        `${loadNote(load)} ${database.description}. PERF.md goal: p99 ≤ 1.5x the baseline.`,
    );
    requestTables(report, comparison, [...names]);
    return report;
  },
};
