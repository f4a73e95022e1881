import { inProcessConfig } from '../support/config';
import { Client } from 'pg';
import { startServer } from '../../src/server';
import { Streams } from '../../src/subscriptions/topics';
import type { BenchContext, Benchmark } from '../support/benchmark';
import { openBenchDatabase } from '../support/postgres';
import { openBenchRedis } from '../support/redis';
import { finalInvariants, installCapacityWatch } from './checks';
import { dropClaimQueue, prepareClaimQueue, runClaimLoop } from '../support/baselines/claim-loop';
import { parseRoutingOptions } from './options';
import {
  type BaselineFigures,
  type Cluster,
  type DrainFigures,
  type Env,
  type LatencyFigures,
  baselineRound,
  drain,
  fillQueue,
  measureLatency,
  setCapacity,
  stepAway,
} from './phases';
import { ServerProcess } from '../support/server-process';
import { AgentsProcess } from './processes';
import { type RoutingReport, renderRoutingReport } from './report';
import { seedRouting } from './seed';

/** A sign-in keeps its agent reachable this long: longer than any run. */
const LOCK_TTL_SECONDS = 3600;
const CUSTOMERS = 500;
/** Routings made before each configuration's measured drain (code paths compiled), not measured. */
const WARMUP_ROUTINGS = 300;
const INSTANCE_NAMES = ['instance A', 'instance B'];

async function startCluster(env: Env, servers: ServerProcess[]): Promise<Cluster> {
  const { context, data } = env;
  const agents = await AgentsProcess.start(context, `agents (${servers.length} instance(s))`);
  const specs = data.agents.map((agent, index) => {
    const server = servers[index % servers.length] as ServerProcess;
    return { ...agent, url: server.url, wsUrl: server.wsUrl };
  });
  context.log(`connecting ${specs.length} agents' consoles to ${servers.length} instance(s)`);
  await agents.connect(specs);
  // Their myAssignments subscriptions are live on the instance each socket is on.
  const deadline = Date.now() + 30_000;
  for (const [index, server] of servers.entries()) {
    const streams = specs
      .filter((_, n) => n % servers.length === index)
      .map((agent) => Streams.staffAssignments(data.organizationId, agent.staffId));
    while ((await server.stats(streams)).live.some((live) => live < 1)) {
      if (Date.now() > deadline) throw new Error(`${server.name}: subscriptions not live`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    servers,
    agents,
    dispatcher: {
      urls: servers.map((server) => server.url),
      token: data.dispatcherToken,
      inboxId: data.inboxId,
      customerIds: data.customerIds,
    },
  };
}

async function fillAndDrain(env: Env, cluster: Cluster, count: number): Promise<DrainFigures> {
  const fillSeconds = await fillQueue(env, cluster, count);
  env.context.log(
    `${cluster.servers.length} instance(s): ${count} conversations wait (filled in ${fillSeconds.toFixed(1)} s); agents coming online`,
  );
  const figures = await drain(env, cluster, count, fillSeconds, {
    kind: 'closes',
    capacity: env.options.capacity,
  });
  await stepAway(env, cluster);
  return figures;
}

/**
 * The routing engine alone: the queue waits while the agents are AWAY and the inbox's capacity
 * is raised so that all of it fits; the agents come ONLINE and keep what they get, so no close
 * shares the machine with the routings. Then they close it all and the capacity goes back.
 */
async function fillAndBurst(env: Env, cluster: Cluster, count: number): Promise<DrainFigures> {
  const fillSeconds = await fillQueue(env, cluster, count);
  const capacity = Math.ceil(count / env.options.agents);
  await setCapacity(env, cluster, capacity);
  env.context.log(
    `${cluster.servers.length} instance(s): ${count} conversations wait, capacity ${capacity}; agents coming online`,
  );
  const figures = await drain(env, cluster, count, fillSeconds, { kind: 'capacity', capacity });
  await setCapacity(env, cluster, env.options.capacity);
  await stepAway(env, cluster);
  return figures;
}

async function soak(env: Env, cluster: Cluster, report: RoutingReport): Promise<void> {
  const { routings, queue } = env.options;
  const started = Date.now();
  for (;;) {
    const done = (await finalInvariants(env.db, env.data.inboxId)).routings;
    if (done >= routings) break;
    const count = Math.min(queue, routings - done);
    const figures = await fillAndDrain(env, cluster, count);
    report.soak.push(figures);
    env.context.log(
      `soak: ${(done + figures.span.count).toLocaleString('en-US')} of ` +
        `${routings.toLocaleString('en-US')} routings, this drain ${Math.round(figures.rate)}/s`,
    );
  }
  report.soakSeconds = (Date.now() - started) / 1000;
}

export const benchmark: Benchmark = {
  summary:
    'routing: conversations routed/s on 1 and 2 instances vs a plain-pg SKIP LOCKED claim loop; latency to myAssignments; 0 violations',

  async run(context: BenchContext) {
    const options = parseRoutingOptions(context.args);
    const database = await openBenchDatabase(context);
    const redis = await openBenchRedis(context);

    // Seeding through the services, in this process; stopped before anything is measured (its
    // queue-routing job would otherwise be one more router).
    const config = inProcessConfig({ lockTtlSeconds: LOCK_TTL_SECONDS });
    const local = await startServer({ config, databaseUrl: database.url });
    context.log('seeding through the services');
    let data;
    try {
      data = await seedRouting(local, {
        agents: options.agents,
        capacity: options.capacity,
        customers: CUSTOMERS,
      });
    } finally {
      await local.stop();
    }

    const db = new Client({ connectionString: database.url });
    await db.connect();
    context.defer(() => db.end());
    await installCapacityWatch(db);
    await db.query('ANALYZE');
    const env: Env = {
      context,
      options,
      databaseUrl: database.url,
      db,
      data,
      postmasterPid: database.postmasterPid,
      redisPid: redis.pid,
    };
    const report: RoutingReport = {
      options,
      database: database.description,
      redis: redis.description,
      baseline: [],
      drains: [],
      latency: [],
      soak: [],
      soakSeconds: 0,
      events: [],
      routingsByInstances: {},
    };

    const baseline = async () => {
      context.log(`baseline: ${options.baselineWorkers} workers claiming with plain pg`);
      if (report.baseline.length === 0) {
        // Unmeasured: connections, plans and caches warm.
        await prepareClaimQueue(database.url, 50_000);
        await runClaimLoop(database.url, { workers: options.baselineWorkers, durationMs: 1000 });
      }
      const round: BaselineFigures = await baselineRound(env);
      report.baseline.push(round);
      await dropClaimQueue(database.url);
    };

    await baseline();
    const servers: ServerProcess[] = [];
    for (const [index, instances] of options.instances.entries()) {
      while (servers.length < instances) {
        const name = INSTANCE_NAMES[servers.length] as string;
        context.log(`starting ${name}`);
        servers.push(
          await ServerProcess.start(context, name, {
            kind: 'ours',
            databaseUrl: database.url,
            redisUrl: redis.url,
            lockTtlSeconds: LOCK_TTL_SECONDS,
          }),
        );
      }
      const routingsBefore = (await finalInvariants(db, data.inboxId)).routings;
      const cluster = await startCluster(env, servers);
      context.log(`${instances} instance(s): warming up with ${WARMUP_ROUTINGS} routings`);
      await fillAndDrain(env, cluster, WARMUP_ROUTINGS);
      const figures = await fillAndDrain(env, cluster, options.queue);
      report.drains.push(figures);
      context.log(
        `${instances} instance(s): ${figures.span.count} routed at ${Math.round(figures.rate)}/s`,
      );
      const burst = await fillAndBurst(env, cluster, options.queue);
      report.drains.push(burst);
      context.log(
        `${instances} instance(s), capacity at once: ${burst.span.count} routed at ${Math.round(burst.rate)}/s`,
      );
      await cluster.agents.setStatus('ONLINE');
      const latency: LatencyFigures = await measureLatency(env, cluster);
      report.latency.push(latency);
      context.log(
        `${instances} instance(s): latency p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`,
      );
      await stepAway(env, cluster);
      await baseline();
      const lastConfiguration = index === options.instances.length - 1;
      if (lastConfiguration && options.routings > 0) await soak(env, cluster, report);
      report.events.push({ instances, stats: await cluster.agents.stats() });
      report.routingsByInstances[instances] =
        (await finalInvariants(db, data.inboxId)).routings - routingsBefore;
      await cluster.agents.stop();
    }
    while (report.baseline.length < options.baselineRounds) await baseline();
    for (const server of servers) await server.stop();
    report.invariants = await finalInvariants(db, data.inboxId);
    return renderRoutingReport(report);
  },
};
