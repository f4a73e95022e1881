import { inProcessConfig } from '../support/config';
import { execFileSync } from 'node:child_process';
import { startServer } from '../../src/server';
import { Streams } from '../../src/subscriptions/topics';
import type { BenchContext, Benchmark } from '../support/benchmark';
import { waitForQuietMachine } from '../support/cpu';
import { LoadGenerator } from '../support/load';
import { openBenchDatabase } from '../support/postgres';
import { openBenchRedis } from '../support/redis';
import {
  baselineBodyLength,
  baselineVariant,
  type FanoutVariant,
  oursVariant,
  runFanout,
} from './fanout';
import { compareLockThroughput, countLockStatements } from './lock-ops';
import { BASELINE_EVENTS, CONVERSATION_EVENTS, TICKET_LOCK_EVENTS } from './operations';
import { type LocksOptions, parseLocksOptions } from './options';
import { ServerProcess } from '../support/server-process';
import { WatcherProcess } from './processes';
import { type LocksReport, renderReport } from './report';
import { type LocksData, seedLocks } from './seed';
import { measureConsoleMemory } from './sockets';

/** Agents whose sign-ins the watcher sockets share. */
const WATCHER_STAFF = 10;
/** Inboxes a console watches: lock events of 3, conversation events of 2 (5 subscriptions). */
const CONSOLE_INBOXES = 3;
/**
 * Consoles that connect and leave before memory is measured (code paths compiled); few, since
 * the heap pages they leave behind would be reused by the measured consoles without growing RSS.
 */
const MEMORY_WARMUP_SOCKETS = 50;
/** Servers with thousands of windows take long to close them all; they are not measured then. */
const STOP_GRACE_MS = 5000;

/** Every socket is a file descriptor on each side; children inherit this shell's limit. */
function checkFileLimit(context: BenchContext, options: LocksOptions): void {
  const needed = Math.max(...options.fanout.watchers, options.sockets) + 1000;
  let limit = Number.POSITIVE_INFINITY;
  try {
    limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return;
  }
  if (limit < needed) {
    throw new Error(
      `open files are limited to ${limit} per process; this run needs ~${needed}: ` +
        `run \`ulimit -n 20000\` in this shell first`,
    );
  }
  context.log(`open files per process: ${limit} (this run needs ~${needed})`);
}

async function runOps(
  context: BenchContext,
  options: LocksOptions,
  report: LocksReport,
  ours: ServerProcess,
  postmasterPid: number | undefined,
  data: LocksData,
): Promise<void> {
  const apollo = await ServerProcess.start(context, 'bare Apollo', { kind: 'apollo' });
  const oneWrite = await ServerProcess.start(context, 'one-write server', {
    kind: 'one-write',
    databaseUrl: report.databaseUrl,
    connections: options.ops.concurrency,
  });
  const lockFloor = await ServerProcess.start(context, 'lock floor', {
    kind: 'lock-floor',
    databaseUrl: report.databaseUrl,
    connections: options.ops.concurrency,
  });
  // BENCH_BEFORE_TREE: a copy of the repository at an earlier commit (its node_modules linked),
  // whose server runs the same operations beside ours on the same database: before and after in
  // one run (the database's SQL definitions are this tree's).
  const beforeTree = process.env.BENCH_BEFORE_TREE;
  const before = beforeTree
    ? await ServerProcess.start(
        context,
        'ours before',
        { kind: 'ours', databaseUrl: report.databaseUrl },
        beforeTree,
      )
    : undefined;
  const generator = await LoadGenerator.start();
  context.defer(() => generator.stop());
  report.ops = await compareLockThroughput({
    context,
    generator,
    options: options.ops,
    apollo,
    ours,
    before,
    oneWrite,
    lockFloor,
    workers: data.ops.workers,
    postmasterPid,
  });
  await Promise.all([
    generator.stop(),
    apollo.stop(),
    oneWrite.stop(),
    lockFloor.stop(),
    before?.stop(),
  ]);
}

async function runFanoutPart(
  context: BenchContext,
  options: LocksOptions,
  report: LocksReport,
  oursInProcess: ServerProcess,
  data: LocksData,
): Promise<void> {
  const wanted = options.fanoutVariants;
  const redis = wanted.has('redis') ? await openBenchRedis(context) : undefined;
  report.redis = redis?.description;
  // BENCH_BEFORE_TREE: an earlier commit's server (in-process PubSub) beside ours, on the same
  // database: before and after in one run.
  const beforeTree = process.env.BENCH_BEFORE_TREE;
  const [baselineServer, oursRedis, before] = await Promise.all([
    ServerProcess.start(context, 'baseline graphql-ws', { kind: 'baseline-ws' }),
    redis
      ? ServerProcess.start(context, 'ours (Redis)', {
          kind: 'ours',
          databaseUrl: report.databaseUrl,
          redisUrl: redis.url,
        })
      : undefined,
    beforeTree
      ? ServerProcess.start(
          context,
          'ours before',
          { kind: 'ours', databaseUrl: report.databaseUrl },
          beforeTree,
        )
      : undefined,
  ]);
  let bodyLength = 0;
  const variants: FanoutVariant[] = [
    baselineVariant(
      baselineServer,
      await WatcherProcess.start(context, 'watchers (baseline)'),
      data.watcherTokens,
      () => bodyLength,
    ),
  ];
  if (wanted.has('inProcess'))
    variants.push(
      oursVariant(
        'inProcess',
        oursInProcess,
        await WatcherProcess.start(context, 'watchers (in-process)'),
        data,
      ),
    );
  if (oursRedis)
    variants.push(
      oursVariant(
        'redis',
        oursRedis,
        await WatcherProcess.start(context, 'watchers (Redis)'),
        data,
      ),
    );
  if (before)
    variants.push(
      oursVariant('before', before, await WatcherProcess.start(context, 'watchers (before)'), data),
    );
  await waitForQuietMachine(context.log);
  report.fanout = { steps: [], bytes: {} };
  try {
    await runFanout(
      context,
      variants,
      options.fanout,
      (bytes) => {
        bodyLength = baselineBodyLength(bytes);
      },
      report.fanout,
    );
  } finally {
    for (const variant of variants) variant.close();
  }
  context.log('fan-out: closing the watchers and their servers');
  await Promise.all(variants.map((variant) => variant.watchers.stop()));
  await Promise.all(
    [baselineServer, oursInProcess, oursRedis, before].map((server) => server?.stop(STOP_GRACE_MS)),
  );
}

async function runSockets(
  context: BenchContext,
  options: LocksOptions,
  report: LocksReport,
  data: LocksData,
): Promise<void> {
  const [baselineServer, oursServer, baselineCrowd, oursCrowd] = await Promise.all([
    ServerProcess.start(context, 'baseline graphql-ws (memory)', { kind: 'baseline-ws' }),
    ServerProcess.start(context, 'ours (memory)', {
      kind: 'ours',
      databaseUrl: report.databaseUrl,
    }),
    WatcherProcess.start(context, 'consoles (baseline)'),
    WatcherProcess.start(context, 'consoles (ours)'),
  ]);
  const channels = ['c1', 'c2', 'c3', 'c4', 'c5'];
  const [a, b, c] = data.consoleInboxes as [string, string, string];
  const org = data.organizationId;
  await waitForQuietMachine(context.log);
  report.memory = {
    baseline: await measureConsoleMemory(
      context,
      {
        name: 'baseline',
        server: baselineServer,
        watchers: baselineCrowd,
        tokens: data.watcherTokens,
        operations: channels.map((channel) => ({ query: BASELINE_EVENTS, variables: { channel } })),
        streams: channels,
      },
      options.sockets,
      MEMORY_WARMUP_SOCKETS,
    ),
    ours: await measureConsoleMemory(
      context,
      {
        name: 'ours',
        server: oursServer,
        watchers: oursCrowd,
        tokens: data.watcherTokens,
        operations: [
          ...[a, b, c].map((inboxId) => ({ query: TICKET_LOCK_EVENTS, variables: { inboxId } })),
          ...[a, b].map((inboxId) => ({ query: CONVERSATION_EVENTS, variables: { inboxId } })),
        ],
        streams: [
          ...[a, b, c].map((inbox) => Streams.inboxLocks(org, inbox)),
          ...[a, b].map((inbox) => Streams.inboxConversations(org, inbox)),
        ],
      },
      options.sockets,
      MEMORY_WARMUP_SOCKETS,
    ),
  };
  await Promise.all([baselineServer.stop(), baselineCrowd.stop()]);
  await oursServer.stop(STOP_GRACE_MS);

  await oursCrowd.stop();
}

export const benchmark: Benchmark = {
  summary:
    'ticket locks: lock-event fan-out vs plain graphql-ws, lock ops/s vs the one-write floor, memory per console',

  async run(context) {
    const options = parseLocksOptions(context.args);
    checkFileLimit(context, options);
    const database = await openBenchDatabase(context);
    // In this process: seeding through the services, and counting SQL statements.
    const local = await startServer({ config: inProcessConfig(), databaseUrl: database.url });
    context.defer(() => local.stop());
    context.log('seeding through the services');
    const data = await seedLocks(local, {
      watcherStaff: WATCHER_STAFF,
      opsWorkers: options.ops.concurrency,
      consoleInboxes: CONSOLE_INBOXES,
    });
    const report: LocksReport = {
      database: database.description,
      databaseUrl: database.url,
      seeded: data.counts,
      failures: [],
    };
    // A part that fails (a server crashing under load...) is reported; the others still run.
    const attempt = async (part: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        report.failures.push({ part, error: message });
        context.log(`${part} FAILED: ${message}`);
      }
    };

    const needsOurs = options.parts.has('ops') || options.parts.has('fanout');
    const oursInProcess = needsOurs
      ? await ServerProcess.start(context, 'ours (in-process)', {
          kind: 'ours',
          databaseUrl: database.url,
        })
      : undefined;
    if (options.parts.has('ops') && oursInProcess) {
      await attempt('lock operations', async () => {
        const [worker] = data.ops.workers;
        if (worker) report.statements = await countLockStatements(local, worker);
        await runOps(context, options, report, oursInProcess, database.postmasterPid, data);
      });
    }
    if (options.parts.has('fanout') && oursInProcess)
      await attempt('fan-out', () => runFanoutPart(context, options, report, oursInProcess, data));
    else await oursInProcess?.stop();
    if (options.parts.has('sockets'))
      await attempt('sockets', () => runSockets(context, options, report, data));

    return renderReport(report);
  },
};
