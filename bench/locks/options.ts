import { parseArgs } from 'node:util';
import type { LoadOptions } from '../support/benchmark';
import type { FanoutOptions } from './fanout';

export type Part = 'fanout' | 'ops' | 'sockets';
const PARTS: Part[] = ['fanout', 'ops', 'sockets'];

export interface LocksOptions {
  parts: Set<Part>;
  fanout: FanoutOptions;
  ops: LoadOptions;
  /** Consoles connected for the memory figure. */
  sockets: number;
  /** maxSockets of the server the cap is tried on; `capExtra` more sockets are opened. */
  cap: number;
  capExtra: number;
}

export const LOCKS_USAGE = `options of "locks":
  --parts fanout,ops,sockets   which parts to run (default: all three)
  --watchers 100,1000,5000     fan-out: watcher counts, one step each
  --events N                   fan-out: measured events per step and variant, after warm-up
                               (default: 120 up to 1,000 watchers, 60 above: the slow ones)
  --rounds 3                   rounds per variant, alternating (fan-out and lock operations)
  --warmup-events 6            fan-out: warm-up events per step and variant
  --duration 3 --warmup 2      lock operations: seconds per round and of warm-up per side
  --concurrency 10             lock operations: concurrent windows (and Apollo connections)
  --sockets 2000               memory: consoles connected (5 subscriptions each)
  --cap 200                    socket cap: maxSockets of the server tried (cap + 10 are opened)`;

function count(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be a whole number >= ${min} (got "${raw}")\n\n${LOCKS_USAGE}`);
  return value;
}

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(
      `--${name} must be a positive number of seconds (got "${raw}")\n\n${LOCKS_USAGE}`,
    );
  return value * 1000;
}

export function parseLocksOptions(args: string[]): LocksOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      parts: { type: 'string' },
      watchers: { type: 'string' },
      events: { type: 'string' },
      rounds: { type: 'string' },
      'warmup-events': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      sockets: { type: 'string' },
      cap: { type: 'string' },
    },
  });
  const parts = new Set((values.parts ?? PARTS.join(',')).split(',').map((part) => part.trim()));
  for (const part of parts) {
    if (!PARTS.includes(part as Part))
      throw new Error(`--parts: unknown part "${part}" (${PARTS.join(', ')})\n\n${LOCKS_USAGE}`);
  }
  const watchers = (values.watchers ?? '100,1000,5000')
    .split(',')
    .map((value) => count('watchers', value.replace(/_/g, '').trim(), 0))
    .sort((a, b) => a - b);
  const rounds = count('rounds', values.rounds, 3);
  return {
    parts: parts as Set<Part>,
    fanout: {
      watchers: [...new Set(watchers)],
      events: values.events === undefined ? undefined : count('events', values.events, 0),
      rounds,
      warmup: count('warmup-events', values['warmup-events'], 6, 0),
    },
    ops: {
      rounds,
      durationMs: seconds('duration', values.duration, 3),
      warmupMs: seconds('warmup', values.warmup, 2),
      concurrency: count('concurrency', values.concurrency, 10),
    },
    sockets: count('sockets', values.sockets, 2000),
    cap: count('cap', values.cap, 200),
    capExtra: 10,
  };
}
