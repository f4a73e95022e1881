import { startServer } from '../../src/server';
import { type Benchmark, loadOptionsOf, loadSpec, parseOptions } from '../support/benchmark';
import { inProcessConfig } from '../support/config';
import { CpuProfile } from '../support/cpu-profile';
import { rotatedScripts } from '../support/load';
import { openBenchDatabase } from '../support/postgres';
import { Report } from '../support/report';
import { compareRequests, loadNote, requestTables, requireSameAnswer } from '../support/requests';
import { RECORDS_DOCUMENT, explainCases, recordsCases, startRawRecordsServer } from './recordings';
import { seedRecordings } from './recordings-seed';
import { runOutbox } from './outbox';
import { runWebhooks } from './webhooks';

const POOL_SIZE = 10;

const SPEC = {
  parts: {
    default: 'webhooks,outbox,recordings',
    help: 'comma-separated: webhooks (→ consoles, burst), outbox, recordings',
  },
  consoles: { default: 50, help: "member consoles watching the campaign's arrivals" },
  arrivals: { default: 100, help: 'webhooks per round, one at a time, to the consoles' },
  'burst-rate': { default: 500, help: 'webhooks per second in the burst' },
  'burst-seconds': { default: 5, help: 'seconds of burst per round' },
  messages: { default: 2_000, help: 'outbox sends per round' },
  conversations: { default: 50, help: 'interactions the outbox sends are spread over' },
  interactions: { default: 100_000, help: 'campaign interactions the recordings search' },
  ...loadSpec({ rounds: 3, durationMs: 8_000, warmupMs: 3_000, concurrency: 8 }),
};

/**
 * Runs one part, profiling this process (our server, the stubs and the bare servers live in it)
 * while it runs when BENCH_CPU_PROF names a folder: `campaigns-<part>.cpuprofile`, summed up by
 * `bench/support/profile-breakdown.ts`.
 */
async function profiled<T>(
  context: { log(message: string): void },
  part: string,
  run: () => Promise<T>,
): Promise<T> {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return run();
  const profile = await CpuProfile.start(dir, `campaigns-${part}`);
  try {
    return await run();
  } finally {
    context.log(`CPU profile: ${await profile.stop()}`);
  }
}

export const benchmark: Benchmark = {
  summary:
    'campaigns: webhook → 50 consoles and a 500/s burst vs a bare handler, outbox vs a bare loop, recordings vs plain pg',

  async run(context) {
    const values = parseOptions(context.args, SPEC);
    const parts = new Set(String(values.parts).split(','));
    const load = loadOptionsOf(values);
    const report = new Report();
    const database = await openBenchDatabase(context);
    const config = inProcessConfig({
      // The outbox's per-number throttle out of the way; a held provider is not probed meanwhile.
      outboxSendsPerSecond: 100_000,
      outboxRetryBaseMs: 600_000,
      outboxRetryMaxMs: 600_000,
    });
    const server = await startServer({ config, databaseUrl: database.url });
    context.defer(() => server.stop());
    report.note(
      `One server instance in the benchmark's process (in-process events), ${config.jobConcurrency} job workers; the load and the consoles in processes of their own; ${database.description}.`,
    );

    if (parts.has('webhooks')) {
      await profiled(context, 'webhooks', () =>
        runWebhooks(
          context,
          server,
          {
            databaseUrl: database.url,
            consoles: values.consoles,
            arrivals: values.arrivals,
            burstRate: values['burst-rate'],
            burstSeconds: values['burst-seconds'],
            rounds: load.rounds,
          },
          report,
        ),
      );
    }
    if (parts.has('outbox')) {
      // Profiled by rounds of its own (outbox-profile.ts), the floor's apart from ours.
      await runOutbox(
        context,
        server,
        {
          messages: values.messages,
          conversations: values.conversations,
          rounds: load.rounds,
          workers: config.jobConcurrency,
          databaseUrl: database.url,
          postmasterPid: database.postmasterPid,
          profileDir: process.env.BENCH_CPU_PROF,
        },
        report,
      );
    }
    if (parts.has('recordings')) {
      const shape = {
        interactions: values.interactions,
        numbers: Math.max(10, Math.round(values.interactions / 5)),
        agents: 50,
        campaigns: 5,
        days: 90,
      };
      context.log(`seeding ${shape.interactions} campaign interactions`);
      const data = await seedRecordings(server, shape);
      const raw = await startRawRecordsServer({
        databaseUrl: database.url,
        organizationId: data.organizationId,
        poolSize: POOL_SIZE,
      });
      context.defer(() => raw.stop());
      const headers = { authorization: `Bearer ${data.supervisor.token}` };
      const cases = recordsCases(data);
      const bodies: string[] = [];
      for (const [index, { filter }] of cases.entries()) {
        const body = JSON.stringify({ query: RECORDS_DOCUMENT, variables: { filter } });
        const answer = (await requireSameAnswer({ url: server.url, headers }, raw, body)) as {
          data: { interactionRecords: { pageInfo: { endCursor: string | null } } };
        };
        bodies.push(body);
        // The next page too, where there is one: a cursor as the console sends it back.
        const after = answer.data.interactionRecords.pageInfo.endCursor;
        if (after && index < 3) {
          const next = JSON.stringify({ query: RECORDS_DOCUMENT, variables: { filter, after } });
          await requireSameAnswer({ url: server.url, headers }, raw, next);
          bodies.push(next);
        }
      }
      const clients = rotatedScripts(bodies, load.concurrency, 3);
      const comparison = await profiled(context, 'recordings', () =>
        compareRequests({
          context,
          options: load,
          server,
          baseline: raw,
          postmasterPid: database.postmasterPid,
          workloads: [
            {
              name: 'interactionRecords',
              ours: {
                url: server.url,
                headers: { 'content-type': 'application/json', ...headers },
                clients,
              },
              baseline: { url: raw.url, headers: { 'content-type': 'application/json' }, clients },
            },
          ],
        }),
      );
      report.note(
        `**Recordings search** (C15): \`interactionRecords(filter, first: 20)\` over ${shape.interactions.toLocaleString('en-US')} campaign interactions ` +
          `(${shape.campaigns} campaigns, ${shape.agents} agents, ${shape.numbers.toLocaleString('en-US')} numbers, ${shape.days} days) as a SUPERVISOR: ` +
          `${cases.map((c) => c.label).join(', ')}, and the second page of the first three (as the console sends its cursor back); each client sends them all in turn. ` +
          'Baseline: the same conditions, order and limit (`recordsWhere`) as one statement joining number, campaign and agent, in plain pg behind bare node http (`campaigns/recordings.ts`), answers checked identical. ' +
          `${loadNote(load)} ${database.description}. PERF.md goal: p99 ≤ 1.5x the baseline.`,
      );
      requestTables(report, comparison, ['interactionRecords']);
      report.note(
        `EXPLAIN ANALYZE of each search's statement on the ${shape.interactions.toLocaleString('en-US')} interactions (best of three, time inside PostgreSQL):`,
      );
      report.table(
        ['search', 'indexes used', 'execution'],
        await explainCases(
          (sql, params) => server.dataSource.query(sql, params),
          data.organizationId,
          cases,
        ),
      );
    }
    return report;
  },
};
