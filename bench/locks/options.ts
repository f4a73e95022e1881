import { type LoadOptions, loadOptionsOf, loadSpec, parseOptions } from '../support/benchmark';
import type { FanoutOptions } from './fanout';

export type Part = 'fanout' | 'ops' | 'sockets';
const PARTS: Part[] = ['fanout', 'ops', 'sockets'];

/** Ours' fan-out variants (the baseline always runs; `before` with BENCH_BEFORE_TREE). */
export type OursFanoutVariant = 'inProcess' | 'redis';
const FANOUT_VARIANTS: OursFanoutVariant[] = ['inProcess', 'redis'];

export interface LocksOptions {
  parts: Set<Part>;
  fanoutVariants: Set<OursFanoutVariant>;
  fanout: FanoutOptions;
  ops: LoadOptions;
  /** Consoles connected for the memory figure. */
  sockets: number;
}

const SPEC = {
  parts: { default: PARTS.join(','), help: 'which parts to run' },
  variants: {
    default: FANOUT_VARIANTS.join(','),
    help: "fan-out: ours' variants beside the baseline (inProcess, redis)",
  },
  watchers: { default: [100, 1000, 5000], help: 'fan-out: watcher counts, one step each' },
  events: {
    default: 0,
    help: 'fan-out: measured events per step and variant (0: 120, 60 above 1,000)',
  },
  'warmup-events': { default: 6, help: 'fan-out: warm-up events per step and variant' },
  'loop-delay': {
    default: 'no',
    help: "fan-out: yes to note each server's longest event-loop delay per event (a 1 ms timer in every server)",
  },
  ...loadSpec({ rounds: 3, durationMs: 3000, warmupMs: 2000, concurrency: 10 }),
  sockets: { default: 2000, help: 'memory: consoles connected (5 subscriptions each)' },
};

/** Rounds apply to the fan-out and to the lock operations; duration, warm-up and concurrency to the latter. */
export function parseLocksOptions(args: string[]): LocksOptions {
  const values = parseOptions(args, SPEC);
  const parts = new Set(values.parts.split(',').map((part) => part.trim()));
  for (const part of parts)
    if (!PARTS.includes(part as Part))
      throw new Error(`--parts: unknown part "${part}" (${PARTS.join(', ')})`);
  const variants = new Set(values.variants.split(',').map((variant) => variant.trim()));
  for (const variant of variants)
    if (!FANOUT_VARIANTS.includes(variant as OursFanoutVariant))
      throw new Error(`--variants: unknown variant "${variant}" (${FANOUT_VARIANTS.join(', ')})`);
  const ops = loadOptionsOf(values);
  return {
    parts: parts as Set<Part>,
    fanoutVariants: variants as Set<OursFanoutVariant>,
    fanout: {
      watchers: [...new Set(values.watchers.map(Math.round))].sort((a, b) => a - b),
      events: values.events > 0 ? Math.round(values.events) : undefined,
      rounds: ops.rounds,
      warmup: Math.round(values['warmup-events']),
      loopDelay: values['loop-delay'] === 'yes',
    },
    ops,
    sockets: Math.round(values.sockets),
  };
}
