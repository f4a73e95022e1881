import type { BenchContext, LoadOptions } from './benchmark';
import { waitForQuietMachine } from './cpu';
import { CpuProfile, profileName } from './cpu-profile';
import { ms, rate } from './report';
import type { LoadGenerator, LoadResult, LoadSpec } from './load';
import { median } from './stats';

/** Monotonic counters (CPU microseconds, SQL statements...), reported per request. */
export type Counters = () => Record<string, number>;

/** One side of a comparison: what the load generator sends, and what to count meanwhile. */
export interface Variant {
  name: string;
  request: Omit<LoadSpec, 'concurrency' | 'durationMs'>;
  counters?: Counters;
  /**
   * Served by this process (the request benchmarks): with `BENCH_CPU_PROF=<dir>`, this process's
   * CPU is profiled during each of the variant's rounds, as `<dir>/<variant>-r<round>.cpuprofile`.
   */
  profileInProcess?: boolean;
}

export interface RoundResult {
  round: number;
  variant: string;
  load: LoadResult;
  /**
   * Each counter's increase during the round divided by the requests served, and the load
   * generator's own CPU per request (`clientCpuUs`).
   */
  perRequest: Record<string, number>;
}

/** Medians over the rounds of one variant. */
export interface VariantSummary {
  variant: string;
  p50: number;
  p99: number;
  throughput: number;
  perRequest: Record<string, number>;
}

export interface Comparison {
  options: LoadOptions;
  rounds: RoundResult[];
  summaries: VariantSummary[];
}

function readAll(shared: Counters | undefined, variant: Variant): Record<string, number> {
  return { ...shared?.(), ...variant.counters?.() };
}

function requireNoErrors(variant: Variant, load: LoadResult): void {
  if (load.errors > 0) {
    throw new Error(
      `${variant.name}: ${load.errors} of ${load.errors + load.requests} requests failed; first: ${load.firstError}`,
    );
  }
}

/**
 * Warms every variant up, then runs them in turn, round after round (baseline, ours, baseline,
 * ours...), so that drift on the machine hits both alike; summarizes each by its medians.
 * Before each run it waits (a while) for the machine to be quiet: it may be shared.
 */
export async function compareAlternately({
  context,
  generator,
  variants,
  options,
  counters,
}: {
  context: BenchContext;
  generator: LoadGenerator;
  variants: Variant[];
  options: LoadOptions;
  /** Counters for every variant, e.g. the CPU time of the process serving both. */
  counters?: Counters;
}): Promise<Comparison> {
  const { concurrency, durationMs, warmupMs, rounds } = options;
  await waitForQuietMachine(context.log);
  for (const variant of variants) {
    context.log(`warming up ${variant.name} (${warmupMs / 1000} s)`);
    requireNoErrors(
      variant,
      await generator.run({ ...variant.request, concurrency, durationMs: warmupMs }),
    );
  }

  const results: RoundResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) {
      await waitForQuietMachine(context.log);
      const profileDir = variant.profileInProcess ? process.env.BENCH_CPU_PROF : undefined;
      const profile = profileDir
        ? await CpuProfile.start(profileDir, profileName(`${variant.name} r${round}`))
        : undefined;
      const before = readAll(counters, variant);
      const load = await generator.run({ ...variant.request, concurrency, durationMs });
      const after = readAll(counters, variant);
      await profile?.stop();
      requireNoErrors(variant, load);
      const perRequest: Record<string, number> = Object.fromEntries(
        Object.keys(after).map((key) => [
          key,
          ((after[key] as number) - (before[key] ?? 0)) / load.requests,
        ]),
      );
      perRequest.clientCpuUs = (load.clientCpuMs * 1000) / load.requests;
      results.push({ round, variant: variant.name, load, perRequest });
      context.log(
        `round ${round}/${rounds} ${variant.name}: ${rate(load.throughput)}, ` +
          `p50 ${ms(load.p50)}, p99 ${ms(load.p99)}`,
      );
    }
  }

  const summaries = variants.map((variant): VariantSummary => {
    const own = results.filter((result) => result.variant === variant.name);
    const keys = Object.keys(own[0]?.perRequest ?? {});
    return {
      variant: variant.name,
      p50: median(own.map((result) => result.load.p50)),
      p99: median(own.map((result) => result.load.p99)),
      throughput: median(own.map((result) => result.load.throughput)),
      perRequest: Object.fromEntries(
        keys.map((key) => [key, median(own.map((result) => result.perRequest[key] as number))]),
      ),
    };
  });
  return { options, rounds: results, summaries };
}

/**
 * The share of the whole machine (all CPUs) that processes outside the benchmark kept busy
 * during a round: `machineBusyUs` minus the counters listed in `ownKeys` (and the load
 * generator). Other engineers' test runs on a shared machine show up here.
 */
export function otherCpuShare(result: RoundResult, ownKeys: string[], cpus: number): number {
  const per = result.perRequest;
  const own = [...ownKeys, 'clientCpuUs'].reduce((sum, key) => sum + (per[key] ?? 0), 0);
  const otherUs = ((per.machineBusyUs ?? Number.NaN) - own) * result.load.requests;
  return Math.max(0, otherUs / (result.load.elapsedMs * 1000 * cpus));
}
