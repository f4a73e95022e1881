import { parseArgs } from 'node:util';

/** What `bench/run.ts` hands a benchmark. */
export interface BenchContext {
  name: string;
  /** The arguments after the benchmark's name, e.g. `--rounds 5`. */
  args: string[];
  /** The command line that ran it, as RESULTS.md records it. */
  command: string;
  /** Progress for the terminal. */
  log(message: string): void;
  /** Cleanup run when the benchmark ends, last registered first (also on Ctrl-C). */
  defer(cleanup: () => unknown): void;
}

export interface BenchReport {
  /** Markdown for this benchmark's section of RESULTS.md (below its heading and run details). */
  markdown: string;
}

/**
 * A benchmark: `bench/<name>/index.ts` exports one as `benchmark`, and `npm run bench -- <name>`
 * runs it. It starts what it needs, runs its baseline and ours alternately, prints the figures
 * and returns them for RESULTS.md.
 */
export interface Benchmark {
  /** One line for `npm run bench` without a name. */
  summary: string;
  run(context: BenchContext): Promise<BenchReport>;
}

/** How long and how hard each variant is driven. */
export interface LoadOptions {
  rounds: number;
  durationMs: number;
  warmupMs: number;
  concurrency: number;
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`--${name} must be a positive number (got "${raw}")`);
  }
  return value;
}

/** `--rounds N --duration SECONDS --warmup SECONDS --concurrency N`, over a benchmark's defaults. */
export function parseLoadOptions(args: string[], defaults: LoadOptions): LoadOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  return {
    rounds: Math.round(positiveNumber('rounds', values.rounds, defaults.rounds)),
    durationMs: positiveNumber('duration', values.duration, defaults.durationMs / 1000) * 1000,
    warmupMs: positiveNumber('warmup', values.warmup, defaults.warmupMs / 1000) * 1000,
    concurrency: Math.round(
      positiveNumber('concurrency', values.concurrency, defaults.concurrency),
    ),
  };
}
