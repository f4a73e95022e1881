import { parseArgs } from 'node:util';
import type { Report } from './report';

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

/**
 * A benchmark: `bench/<name>/index.ts` exports one as `benchmark`, and `npm run bench -- <name>`
 * runs it. It starts what it needs, runs its baseline and ours alternately, prints the figures
 * and returns them for RESULTS.md.
 */
export interface Benchmark {
  /** One line for `npm run bench` without a name. */
  summary: string;
  run(context: BenchContext): Promise<Report>;
}

/** How long and how hard each variant is driven. */
export interface LoadOptions {
  rounds: number;
  durationMs: number;
  warmupMs: number;
  concurrency: number;
}

/** One option of a benchmark: its default (a number, a list of numbers or a word) and its help. */
export interface OptionSpec {
  default: number | number[] | string;
  help: string;
}
type Values<S extends Record<string, OptionSpec>> = { [K in keyof S]: S[K]['default'] };

export function usageOf(spec: Record<string, OptionSpec>): string {
  return Object.entries(spec)
    .map(([name, option]) => `  --${`${name} ${String(option.default)}`.padEnd(26)} ${option.help}`)
    .join('\n');
}

/**
 * `--name value` options over their defaults: numbers (`_` allowed, >= 0), comma-separated
 * lists of numbers, or words; anything else is an error that shows the usage.
 */
export function parseOptions<S extends Record<string, OptionSpec>>(
  args: string[],
  spec: S,
): Values<S> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: Object.fromEntries(Object.keys(spec).map((name) => [name, { type: 'string' }])),
  });
  const number = (name: string, raw: string) => {
    const value = Number(raw.replace(/_/g, '').trim());
    if (!Number.isFinite(value) || value < 0 || raw.trim() === '')
      throw new Error(`--${name}: not a number >= 0: "${raw}"\n\n${usageOf(spec)}`);
    return value;
  };
  return Object.fromEntries(
    Object.entries(spec).map(([name, option]) => {
      const raw = values[name] as string | undefined;
      if (raw === undefined) return [name, option.default];
      if (typeof option.default === 'string') return [name, raw];
      if (Array.isArray(option.default))
        return [name, raw.split(',').map((part) => number(name, part))];
      return [name, number(name, raw)];
    }),
  ) as Values<S>;
}

/** The options of a closed-loop comparison, with a benchmark's defaults. */
export const loadSpec = (defaults: LoadOptions) => ({
  rounds: { default: defaults.rounds, help: 'rounds per variant, alternating' },
  duration: { default: defaults.durationMs / 1000, help: 'seconds per round' },
  warmup: { default: defaults.warmupMs / 1000, help: 'seconds of warm-up per variant' },
  concurrency: { default: defaults.concurrency, help: 'concurrent clients' },
});

export function loadOptionsOf(values: Values<ReturnType<typeof loadSpec>>): LoadOptions {
  return {
    rounds: Math.max(1, Math.round(values.rounds)),
    durationMs: values.duration * 1000,
    warmupMs: values.warmup * 1000,
    concurrency: Math.max(1, Math.round(values.concurrency)),
  };
}

/** `--rounds N --duration SECONDS --warmup SECONDS --concurrency N`, over a benchmark's defaults. */
export function parseLoadOptions(args: string[], defaults: LoadOptions): LoadOptions {
  return loadOptionsOf(parseOptions(args, loadSpec(defaults)));
}
