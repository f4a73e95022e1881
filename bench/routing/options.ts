import { parseArgs } from 'node:util';

export interface RoutingOptions {
  agents: number;
  capacity: number;
  /** Conversations waiting when the agents come online, per measured drain. */
  queue: number;
  /** Instance counts to measure, each a configuration of its own (1 and 2). */
  instances: number[];
  /**
   * Routings the whole run makes at least: when the measured phases make fewer, more drains on
   * two instances (a soak) make the rest; all are checked.
   */
  routings: number;
  latencySamples: number;
  latencyWarmup: number;
  baselineSeconds: number;
  baselineWorkers: number;
  baselineRounds: number;
  /** Conversations started at once while filling the queue. */
  fillConcurrency: number;
}

export const ROUTING_USAGE = `options of "routing":
  --agents 50              agents in the inbox, each with a console (socket + HTTP)
  --capacity 3             open conversations per agent (the inbox's agent capacity)
  --queue 5000             conversations waiting when the agents come online, per measured drain
  --instances 1,2          configurations: one instance, two instances sharing Postgres and Redis
  --routings N             routings the whole run makes at least (default: what the phases make);
                           more drains of --queue on two instances make the rest, all checked
  --latency-samples 300    startConversation -> myAssignments event, one at a time, per configuration
  --latency-warmup 30
  --baseline-seconds 5     the SKIP LOCKED claim loop: seconds per round
  --baseline-workers 4
  --fill-concurrency 16    startConversation requests at once while filling the queue`;

function count(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < min)
    throw new Error(
      `--${name} must be a whole number >= ${min} (got "${raw}")\n\n${ROUTING_USAGE}`,
    );
  return value;
}

export function parseRoutingOptions(args: string[]): RoutingOptions {
  const names = [
    'agents',
    'capacity',
    'queue',
    'instances',
    'routings',
    'latency-samples',
    'latency-warmup',
    'baseline-seconds',
    'baseline-workers',
    'fill-concurrency',
  ] as const;
  const { values } = parseArgs({
    args,
    strict: true,
    options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
  });
  const raw = values as Partial<Record<(typeof names)[number], string>>;
  const instances = [
    ...new Set((raw.instances ?? '1,2').split(',').map((n) => count('instances', n.trim(), 1))),
  ].sort((a, b) => a - b);
  if (instances.some((n) => n > 2))
    throw new Error(`--instances: 1 and/or 2 (got "${raw.instances}")\n\n${ROUTING_USAGE}`);
  return {
    agents: count('agents', raw.agents, 50),
    capacity: count('capacity', raw.capacity, 3),
    queue: count('queue', raw.queue, 5000),
    instances,
    routings: count('routings', raw.routings, 0, 0),
    latencySamples: count('latency-samples', raw['latency-samples'], 300),
    latencyWarmup: count('latency-warmup', raw['latency-warmup'], 30, 0),
    baselineSeconds: count('baseline-seconds', raw['baseline-seconds'], 5),
    baselineWorkers: count('baseline-workers', raw['baseline-workers'], 4),
    baselineRounds: 3,
    fillConcurrency: count('fill-concurrency', raw['fill-concurrency'], 16),
  };
}
