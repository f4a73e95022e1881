import { Role } from '../../src/entities/enums';
import { startServer } from '../../src/server';
import { type Benchmark, loadOptionsOf, loadSpec, parseOptions } from '../support/benchmark';
import { compareAlternately } from '../support/compare';
import { inProcessConfig } from '../support/config';
import { machineBusyUs, processTreeCpuUs } from '../support/cpu';
import { LoadGenerator } from '../support/load';
import { openBenchDatabase } from '../support/postgres';
import { CPU_COLUMNS, Report, comparisonTable, roundsTable, us } from '../support/report';
import { post, statementsPerRequest } from '../support/requests';
import { BENCH_PASSWORD, signedIn } from '../support/seeding';
import { ServerProcess } from '../support/server-process';
import { readBody } from '../support/baselines/one-write';

/** Two trivial queries of ours: the layers alone, and the layers with one loader read. */
const TYPENAME = '{ __typename }';
const ME = '{ me { id name } }';
const HELLO = '{ hello }';

const VARIANTS = {
  baseline: 'bare Apollo { hello }',
  oneRead: 'floor: bare Apollo, one read',
  typename: 'ours { __typename }',
  me: 'ours { me }',
  before: 'ours before { __typename }',
} as const;

const SPEC = {
  ours: {
    default: 'typename,me',
    help: "ours' queries to run: typename, me (one alone: a CPU profile of it, BENCH_CPU_PROF)",
  },
  ...loadSpec({ rounds: 3, durationMs: 5_000, warmupMs: 2_000, concurrency: 10 }),
};

/**
 * Our HTTP layers on a trivial authenticated query, against bare Apollo: what every request pays
 * before and around its own work (express, CORS, body parsing, request ids, the request's log
 * line and metrics, Apollo's pipeline and our plugins, the caller's authentication, the limits,
 * the context). Ours logs at `info` (one line a request, to /dev/null) as it does in production.
 */
export const benchmark: Benchmark = {
  summary: 'our HTTP layers on a trivial authenticated query, vs bare Apollo { hello }',

  async run(context) {
    const values = parseOptions(context.args, SPEC);
    const options = loadOptionsOf(values);
    const oursRun = new Set(values.ours.split(','));
    const database = await openBenchDatabase(context);

    // In this process: seeding through the services, and counting SQL statements.
    const local = await startServer({ config: inProcessConfig(), databaseUrl: database.url });
    context.defer(() => local.stop());
    const adminEmail = 'admin@http.bench.tandem.test';
    await local.services.organizations.create({
      name: 'HTTP bench',
      adminEmail,
      adminPassword: BENCH_PASSWORD,
    });
    const { auth: admin } = await signedIn(local, adminEmail);
    await local.services.staff.create(admin, {
      name: 'Ada Moreau',
      email: 'agent@http.bench.tandem.test',
      password: BENCH_PASSWORD,
      role: Role.AGENT,
    });
    const agent = await signedIn(local, 'agent@http.bench.tandem.test');
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${agent.token}`,
    };
    const typenameBody = JSON.stringify({ query: TYPENAME });
    const meBody = JSON.stringify({ query: ME });
    const answer = await post(local.url, meBody, headers);
    if (answer.errors) throw new Error(`ours answered errors: ${JSON.stringify(answer.errors)}`);
    const statements = {
      typename: await statementsPerRequest(local, typenameBody, headers),
      me: await statementsPerRequest(local, meBody, headers),
    };
    await local.stop(); // its periodic jobs would run beside the measured servers

    const [apollo, floor, ours] = await Promise.all([
      ServerProcess.start(context, 'bare Apollo', { kind: 'apollo' }),
      ServerProcess.start(context, 'one-read server', {
        kind: 'one-write',
        databaseUrl: database.url,
        connections: options.concurrency,
      }),
      ServerProcess.start(context, 'ours', {
        kind: 'ours',
        databaseUrl: database.url,
        logFile: '/dev/null',
      }),
    ]);
    // BENCH_BEFORE_TREE: a copy of the repository at an earlier commit (its node_modules linked),
    // whose server answers `{ __typename }` beside ours in the same run: before and after.
    const beforeTree = process.env.BENCH_BEFORE_TREE;
    const before = beforeTree
      ? await ServerProcess.start(
          context,
          'ours before',
          { kind: 'ours', databaseUrl: database.url, logFile: '/dev/null' },
          beforeTree,
        )
      : undefined;
    const generator = await LoadGenerator.start();
    context.defer(() => generator.stop());
    const postgres = database.postmasterPid;
    const comparison = await compareAlternately({
      context,
      generator,
      options,
      counters: () => ({
        machineBusyUs: machineBusyUs(),
        ...(postgres ? { postgresCpuUs: processTreeCpuUs(postgres) } : {}),
      }),
      variants: [
        {
          name: VARIANTS.baseline,
          request: {
            url: apollo.url,
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ query: HELLO }),
            failIfBodyIncludes: '"errors"',
          },
          counters: () => ({ serverCpuUs: processTreeCpuUs(apollo.pid) }),
        },
        {
          // What an authenticated request cannot go below: its caller is one read.
          name: VARIANTS.oneRead,
          request: {
            url: floor.url,
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            clients: Array.from({ length: options.concurrency }, (_, index) => ({
              bodies: [readBody(index + 1)],
            })),
            failIfBodyIncludes: '"errors"',
          },
          counters: () => ({ serverCpuUs: processTreeCpuUs(floor.pid) }),
        },
        {
          name: VARIANTS.typename,
          request: { url: ours.url, headers, body: typenameBody, failIfBodyIncludes: '"errors"' },
          counters: () => ({ serverCpuUs: processTreeCpuUs(ours.pid) }),
        },
        {
          name: VARIANTS.me,
          request: { url: ours.url, headers, body: meBody, failIfBodyIncludes: '"errors"' },
          counters: () => ({ serverCpuUs: processTreeCpuUs(ours.pid) }),
        },
        ...(before
          ? [
              {
                name: VARIANTS.before,
                request: {
                  url: before.url,
                  headers,
                  body: typenameBody,
                  failIfBodyIncludes: '"errors"',
                },
                counters: () => ({ serverCpuUs: processTreeCpuUs(before.pid) }),
              },
            ]
          : []),
      ].filter(
        ({ name }) =>
          (name !== VARIANTS.typename || oursRun.has('typename')) &&
          (name !== VARIANTS.me || oursRun.has('me')),
      ),
    });
    await Promise.all([generator.stop(), apollo.stop(), floor.stop(), ours.stop(), before?.stop()]);

    const report = new Report().note(
      `Bare Apollo Server 5 (\`startStandaloneServer\`, defaults) answering \`${HELLO}\`, against ours (\`startServer\`, logging at \`info\` to /dev/null: one line a request, as in production) answering an AGENT's \`${TYPENAME}\` (every layer: express, CORS, body, request id, log line, metrics, Apollo and our plugins, the bearer token, the limits, the context) and \`${ME}\` (the same and one loader read), each server in a process of its own. Floor: bare Apollo whose query makes one primary-key read (\`bench/support/baselines/one-write.ts\` \`read(id)\`, a row per client): an authenticated request looks its caller up, one statement, so this is what ours cannot go below. ` +
        `Closed loop, ${options.concurrency} keep-alive connections from a forked load generator; ${options.warmupMs / 1000} s warm-up per variant, then ${options.rounds} rounds of ${options.durationMs / 1000} s per variant, alternating; medians of the rounds. ${database.description}. ` +
        `SQL statements per request of ours: ${statements.typename} for \`${TYPENAME}\`, ${statements.me} for \`${ME}\` (fewest of three in a row). PERF.md goal: ours ≥ 0.85x bare Apollo.`,
    );
    comparisonTable(report, comparison, {
      labels: {},
      ratios: (
        [
          [VARIANTS.typename, VARIANTS.baseline],
          [VARIANTS.me, VARIANTS.baseline],
          [VARIANTS.oneRead, VARIANTS.baseline],
          [VARIANTS.typename, VARIANTS.oneRead],
          [VARIANTS.before, VARIANTS.baseline],
          [VARIANTS.typename, VARIANTS.before],
        ] as Array<[string, string]>
      ).filter((pair) =>
        pair.every((name) => comparison.summaries.some((s) => s.variant === name)),
      ),
      columns: [
        ...CPU_COLUMNS,
        { title: 'load generator CPU / request', key: 'clientCpuUs', show: us },
      ],
    });
    roundsTable(report, comparison, ['serverCpuUs', 'postgresCpuUs']);
    return report;
  },
};
