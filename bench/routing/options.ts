import { parseOptions } from '../support/benchmark';

const SPEC = {
  agents: { default: 50, help: 'agents in the inbox, each with a console (socket + HTTP)' },
  capacity: { default: 3, help: "open conversations per agent (the inbox's agent capacity)" },
  queue: { default: 5000, help: 'conversations waiting when the agents come online, per drain' },
  instances: {
    default: [1, 2],
    help: 'configurations: one instance, two sharing Postgres and Redis',
  },
  routings: {
    default: 0,
    help: 'routings the whole run makes at least: more drains on two instances (a soak)',
  },
  'latency-samples': { default: 300, help: 'startConversation -> myAssignments, one at a time' },
  'latency-warmup': { default: 30, help: 'unmeasured latency samples first' },
  'baseline-seconds': { default: 5, help: 'the SKIP LOCKED claim loop: seconds per round' },
  'baseline-workers': { default: 4, help: 'the claim loop: concurrent workers' },
  'fill-concurrency': {
    default: 16,
    help: 'startConversation requests at once while filling the queue',
  },
};

export interface RoutingOptions {
  agents: number;
  capacity: number;
  queue: number;
  instances: number[];
  routings: number;
  latencySamples: number;
  latencyWarmup: number;
  baselineSeconds: number;
  baselineWorkers: number;
  baselineRounds: number;
  fillConcurrency: number;
}

export function parseRoutingOptions(args: string[]): RoutingOptions {
  const values = parseOptions(args, SPEC);
  const instances = [...new Set(values.instances.map(Math.round))].sort((a, b) => a - b);
  if (instances.some((n) => n < 1 || n > 2)) throw new Error(`--instances: 1 and/or 2`);
  return {
    agents: values.agents,
    capacity: values.capacity,
    queue: values.queue,
    instances,
    routings: values.routings,
    latencySamples: values['latency-samples'],
    latencyWarmup: values['latency-warmup'],
    baselineSeconds: values['baseline-seconds'],
    baselineWorkers: values['baseline-workers'],
    baselineRounds: 3,
    fillConcurrency: values['fill-concurrency'],
  };
}
