import { deepStrictEqual } from 'node:assert';
import { statementCounter } from '../../src/db/data-source';
import type { TandemServer } from '../../src/server';
import type { BenchContext, LoadOptions } from './benchmark';
import type { PlainPgServer } from './baselines/plain-pg';
import { type Comparison, compareAlternately } from './compare';
import { machineBusyUs, ownCpuUs, processTreeCpuUs } from './cpu';
import { LoadGenerator, type LoadSpec } from './load';
import { CPU_COLUMNS, type Report, comparisonTable, count, roundsTable } from './report';
import { ServerProcess } from './server-process';

/**
 * The request benchmarks (foundation, helpers, assist): GraphQL requests to our server over HTTP
 * against the plain-pg baseline (`baselines/plain-pg.ts`) answering the same JSON, both in this
 * process (one under load at a time), alternating rounds.
 */
export type Request = Omit<LoadSpec, 'concurrency' | 'durationMs'>;

export interface Workload {
  name: string;
  ours: Request;
  baseline: Request;
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ data?: unknown; errors?: unknown[] }> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as { data?: unknown; errors?: unknown[] };
}

/** Both sides must do the same work: the same answer, without errors. Answers ours. */
export async function requireSameAnswer(
  ours: { url: string; headers?: Record<string, string> },
  baseline: { url: string; headers?: Record<string, string> },
  body: string,
): Promise<{ data?: unknown }> {
  const answer = await post(ours.url, body, ours.headers);
  if (answer.errors) throw new Error(`ours answered errors: ${JSON.stringify(answer.errors)}`);
  try {
    deepStrictEqual(await post(baseline.url, body, baseline.headers), answer);
  } catch (error) {
    throw new Error(`${body}: the baseline's answer differs from ours:\n${String(error)}`);
  }
  return answer;
}

/** SQL statements one request sends (the fewest of `attempts`, in case a background job ran). */
export async function statementsPerRequest(
  server: TandemServer,
  body: string,
  headers: Record<string, string>,
  attempts = 3,
): Promise<number> {
  const counter = statementCounter(server.dataSource);
  let fewest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const before = counter.count;
    const answer = await post(server.url, body, headers);
    if (answer.errors) throw new Error(`ours answered errors: ${JSON.stringify(answer.errors)}`);
    fewest = Math.min(fewest, counter.count - before);
  }
  return fewest;
}

/**
 * Before and after in one run (`BENCH_BEFORE_TREE=<dir>`: a copy of the repository at an earlier
 * commit, its node_modules linked): that tree's server and this tree's, each in a process of its
 * own (the same way, so that the pair compares code, not where it runs), beside the in-process
 * server and the baseline. None without the variable.
 */
export interface ServerPair {
  now: ServerProcess;
  before: ServerProcess;
}

export async function beforeAndAfter(
  context: BenchContext,
  databaseUrl: string,
): Promise<ServerPair | undefined> {
  const tree = process.env.BENCH_BEFORE_TREE;
  if (!tree) return undefined;
  const args = { kind: 'ours' as const, databaseUrl };
  const [now, before] = await Promise.all([
    ServerProcess.start(context, 'ours now', args),
    ServerProcess.start(context, 'ours before', args, tree),
  ]);
  return { now, before };
}

export async function compareRequests({
  context,
  options,
  server,
  baseline,
  postmasterPid,
  workloads,
  pair,
}: {
  context: BenchContext;
  options: LoadOptions;
  server: TandemServer;
  baseline: PlainPgServer;
  postmasterPid: number | undefined;
  workloads: Workload[];
  pair?: ServerPair;
}): Promise<Comparison> {
  const generator = await LoadGenerator.start();
  context.defer(() => generator.stop());
  const statements = statementCounter(server.dataSource);
  return compareAlternately({
    context,
    generator,
    options,
    counters: () => ({
      machineBusyUs: machineBusyUs(),
      serverCpuUs: ownCpuUs(),
      ...(postmasterPid ? { postgresCpuUs: processTreeCpuUs(postmasterPid) } : {}),
    }),
    variants: workloads.flatMap((workload) => [
      {
        name: `baseline ${workload.name}`,
        request: workload.baseline,
        counters: () => ({ statements: baseline.statements() }),
      },
      {
        name: `ours ${workload.name}`,
        request: { failIfBodyIncludes: '"errors"', ...workload.ours },
        profileInProcess: true,
        counters: () => ({ statements: statements.count }),
      },
      ...(pair
        ? (['before', 'now'] as const).map((which) => ({
            name: `${which} ${workload.name}`,
            request: { failIfBodyIncludes: '"errors"', ...workload.ours, url: pair[which].url },
            counters: () => ({ serverCpuUs: processTreeCpuUs(pair[which].pid) }),
          }))
        : []),
    ]),
  });
}

/** One table per workload (baseline, ours, ratio), then the rounds. */
export function requestTables(report: Report, comparison: Comparison, names: string[]): void {
  for (const name of names) {
    const only = {
      ...comparison,
      summaries: comparison.summaries.filter((s) => s.variant.endsWith(` ${name}`)),
    };
    const paired = only.summaries.some((s) => s.variant === `now ${name}`);
    report.note(`**${name}**`);
    comparisonTable(report, only, {
      labels: {
        [`baseline ${name}`]: 'baseline (plain pg)',
        [`ours ${name}`]: 'ours',
        [`before ${name}`]: 'before (BENCH_BEFORE_TREE, own process)',
        [`now ${name}`]: 'now (this tree, own process)',
      },
      ratios: [
        [`ours ${name}`, `baseline ${name}`],
        ...(paired
          ? ([
              [`before ${name}`, `baseline ${name}`],
              [`now ${name}`, `baseline ${name}`],
              [`now ${name}`, `before ${name}`],
            ] as Array<[string, string]>)
          : []),
      ],
      columns: [{ title: 'SQL / request', key: 'statements', show: count }, ...CPU_COLUMNS],
    });
  }
  roundsTable(report, comparison, ['serverCpuUs', 'postgresCpuUs']);
}

/** The load options of the request benchmarks, as a line of the report. */
export function loadNote(options: LoadOptions): string {
  return `Closed loop, ${options.concurrency} keep-alive connections; ${options.warmupMs / 1000} s warm-up per variant, then ${options.rounds} rounds of ${options.durationMs / 1000} s per variant, alternating; medians of the rounds.`;
}
