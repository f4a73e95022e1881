import 'reflect-metadata';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { CSRF_PREFLIGHT_HEADERS, corsFor, webSocketOriginAllowed } from './http/cors';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { DataSource } from 'typeorm';
import { WebSocketServer } from 'ws';
import type { Config } from './config';
import type { Auth } from './context/auth';
import type { Context } from './context/context';
import { createDataSource, DEFAULT_POOL_SIZE } from './db/data-source';
import { OpeningLane } from './db/opening-lane';
import { readOperationalGauges } from './db/operational-gauges';
import { poolOf } from './db/typeorm-adapter';
import { pruneEventLog } from './db/event-store';
import { UnitOfWork } from './db/unit-of-work';
import { formatError } from './errors/format-error';
import {
  jsonStatusPlugin,
  operationLimitsPlugin,
  serviceUnavailablePlugin,
} from './http/apollo-plugins';
import { serveGraphqlWs } from './http/graphql-ws';
import { coalesceWrites } from './http/socket-writes';
import { mountHealth } from './http/health';
import { mountProviderWebhooks } from './http/provider-webhooks';
import { requestErrorHandler } from './http/request-errors';
import { RequestContext } from './http/request-context';
import { playgroundPlugin } from './http/playground';
import {
  assignRequestId,
  type RequestRecord,
  requestIdOfError,
  requestRecordOf,
} from './http/request-id';
import { observeRequests, requestRecordPlugin } from './http/request-log';
import { listenForMetrics, type MetricsListener, metricsHandler } from './http/metrics-endpoint';
import { Metrics } from './metrics/metrics';
import { createLogger, type Logger } from './logger';
import { getSchema } from './schema/build-schema';
import { compiledExecution } from './schema/compiled-queries';
import { documentLimitRules, queryLimitsOf } from './schema/limits';
import { OperationCosts } from './schema/operation-cost';
import { ResolverContainer } from './schema/resolver-container';
import { createServices, type Services } from './services';
import { JobRunner } from './jobs/job-runner';
import { LockSweep } from './jobs/lock-sweep';
import { jobTasks } from './jobs/tasks';
import { PeriodicJob } from './jobs/periodic-job';
import { EventHub } from './subscriptions/event-hub';
import { EventLogReader } from './subscriptions/event-log';
import { createPubSub, type PubSubEngine } from './subscriptions/pubsub';
import { CloseCodes, SessionRegistry } from './subscriptions/session-registry';
import { SharedExecution } from './subscriptions/shared-execution';

export interface TandemServer {
  url: string;
  wsUrl: string;
  port: number;
  dataSource: DataSource;
  pubsub: PubSubEngine;
  services: Services;
  sessions: SessionRegistry;
  hub: EventHub;
  /** Subscription events executed and serialized once per cohort (its counts: tests, benchmarks). */
  shared: SharedExecution;
  metrics: Metrics;
  /** Where /metrics answers: the main port's (with METRICS_TOKEN), METRICS_ADDRESS's, or none. */
  metricsUrl: string | undefined;
  /** Stops accepting, closes sockets with 1001, drains requests, closes Postgres and Redis. */
  stop(): Promise<void>;
  /**
   * A rolling restart (SIGTERM): `/readyz` answers 503 and new sockets are refused with 503 at
   * once; the sockets are closed with 1001 and a reconnect hint, their windows left alive for the
   * lock TTL so that the consoles resume them on another instance; HTTP requests are served until
   * then (at least a second, for a probe to see the 503), then the instance stops as `stop` does,
   * in-flight requests finishing within DRAIN_SECONDS.
   */
  drain(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  /** Postgres to use (already migrated). */
  databaseUrl: string;
  logger?: Logger;
}

/** One server instance: HTTP (Apollo), WebSocket (graphql-ws) and health on one port. */
export async function startServer({
  config,
  databaseUrl,
  logger = createLogger(config.logLevel),
}: StartOptions): Promise<TandemServer> {
  const dataSource = createDataSource({ url: databaseUrl, logger });
  await dataSource.initialize();
  // Socket openings take at most all but two of the pool's connections (db/opening-lane.ts); a
  // console waits for its turn at most as long as it waits for its snapshot.
  const openings = new OpeningLane(Math.max(1, DEFAULT_POOL_SIZE - 2), 60_000);
  const pubsub = createPubSub(config.redisUrl, logger);
  await pubsub.start();
  const uow = new UnitOfWork(dataSource, pubsub, logger);
  const hub = new EventHub(pubsub, new EventLogReader(dataSource), logger, openings);
  const services = createServices({ uow, config, hub, logger });
  const container = new ResolverContainer(services);
  const sessions = new SessionRegistry(
    pubsub,
    {
      touch: (windowIds) => services.clientSessions.touch(windowIds),
      liveSessionIds: (ids) => services.auth.liveSessionIds(ids),
    },
    logger,
    Math.max(1000, (config.lockTtlSeconds * 1000) / 3),
  );
  await sessions.start();
  // Item 8: a change of access whose notice was lost is found within seconds.
  await hub.access.start(services.streamAccess, 5000);
  // Webhook processing, outbox delivery and retries: graphile-worker, on Postgres.
  const jobRunner = await new JobRunner(
    jobTasks(services),
    {
      databaseUrl,
      concurrency: config.jobConcurrency,
      pollIntervalMs: config.jobPollIntervalMs,
    },
    logger,
  ).start();
  const lockSweep = new LockSweep(
    services.locks,
    sessions,
    () => dataSource.query('SELECT 1'),
    config.lockTtlSeconds * 1000,
  );
  const jobs = [
    // L4: a window not seen within the TTL loses its lock shortly after (not for an outage).
    new PeriodicJob(
      'lock sweep',
      Math.min(1000, (config.lockTtlSeconds * 1000) / 4),
      () => lockSweep.run(),
      logger,
    ),
    // R9's safety net: a queue whose capacity appeared without a trigger here (a window that
    // came alive on another instance, say) is routed within seconds.
    new PeriodicJob('queue routing', 3000, () => services.routing.drainAll(), logger),
    // H3: helper assignments end by themselves at their `until`, also after a restart.
    new PeriodicJob('helper expiry', 1000, () => services.helpers.expireDue(), logger),
    // Events whose publish was lost (Redis away, a publish dropped) reach their subscribers
    // within seconds even when nothing follows them on their stream; a reconnection catches
    // up at once. In-process publishing loses nothing.
    ...(pubsub.kind === 'redis'
      ? [new PeriodicJob('event catch-up', 5000, () => hub.resync(), logger)]
      : []),
    // Assist sessions left open end by themselves after ASSIST_MAX_MINUTES (reads already
    // treat them as ended; this writes it, and tells the person's windows).
    new PeriodicJob('assist expiry', 1000, () => services.assist.expireDue(), logger),
    // C3, C6: webhooks and outbox deliveries whose job died with its instance are taken up again.
    new PeriodicJob('webhook sweep', 30_000, () => services.providerWebhooks.sweep(), logger),
    new PeriodicJob('outbox sweep', 30_000, () => services.outbox.sweep(), logger),
    new PeriodicJob('campaign abandon', 1000, () => services.queue.abandonOverdue(), logger),
    new PeriodicJob(
      'event log pruning',
      10 * 60_000,
      () => pruneEventLog(dataSource, config.eventRetentionHours),
      logger,
    ),
  ].map((job) => job.start());
  const schema = await getSchema();
  const pool = poolOf(dataSource);
  // Every source is a plain count its owner keeps, or a read at scrape time.
  const metrics = new Metrics({
    sockets: () => wss.clients.size,
    windows: () => sessions.size,
    pubsub,
    hub,
    jobs,
    pool: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max ?? 10,
    }),
    database: () => readOperationalGauges(dataSource),
  });

  const buildContext = (
    auth: Auth | null,
    clientAddress: string | null = null,
    request?: RequestRecord,
  ): Context<Services> =>
    new RequestContext(auth, services, container, dataSource, clientAddress, request);

  // Subscription events are executed once per cohort of identical subscriptions.
  const shared = new SharedExecution(buildContext);

  const app = express();
  app.disable('x-powered-by');
  // req.ip: the client's address, through the proxies TRUST_PROXY names.
  app.set('trust proxy', config.trustProxy);
  // GraphQL answers are per caller and per moment: hashing every body for an ETag buys nothing.
  app.set('etag', false);
  const httpServer = http.createServer(app);
  // The same limits on both transports: graphql-armor's rules at validation, page sizes and cost
  // before the caller is looked up.
  const limits = queryLimitsOf(config);
  const validationRules = documentLimitRules(limits);
  const costs = new OperationCosts(schema, limits.maxCost);

  const apollo = new ApolloServer<Context>({
    // Queries run compiled once per document (graphql-jit); mutations keep graphql-js.
    gateway: compiledExecution(schema),
    validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
    // Refused, when off, by the shared validation rules (so over WebSocket too), not by Apollo.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // main.ts drains on SIGTERM/SIGINT in order (sockets, HTTP, Redis, Postgres); Apollo's own
    // signal handlers would race it.
    stopOnTerminationSignals: false,
    // CSRF prevention stays on; a request with a bearer token was preflighted (cors.ts).
    csrfPrevention: { requestHeaders: CSRF_PREFLIGHT_HEADERS },
    formatError: (formatted, error) =>
      formatError(formatted, error, logger, {
        requestId: requestIdOfError(error),
        hideSuggestions: !limits.introspection,
      }),
    plugins: [
      ApolloServerPluginDrainHttpServer({
        httpServer,
        stopGracePeriodMillis: config.drainSeconds * 1000,
      }),
      // We set no cache hints; the plugin's per-field hook would wrap every resolver for nothing.
      ApolloServerPluginCacheControlDisabled(),
      playgroundPlugin(),
      operationLimitsPlugin(costs, services.auth),
      jsonStatusPlugin(),
      serviceUnavailablePlugin(),
      requestRecordPlugin(),
    ],
  });
  await apollo.start();

  app.use(assignRequestId());
  let draining = false;
  app.use(observeRequests(logger, metrics));
  mountHealth(app, dataSource, pubsub, () => draining);
  mountProviderWebhooks(app, services.providerWebhooks, {
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });
  // Never open to the world: on the main port only behind its token; else on an address of its
  // own; with neither configured, nowhere (README, Operating).
  const serveMetrics = metricsHandler(metrics, config.metricsToken, logger);
  if (config.metricsToken && !config.metricsAddress) app.get('/metrics', serveMetrics);
  app.use(
    '/graphql',
    corsFor(config.corsOrigins),
    express.json({ limit: config.maxBodyBytes }),
    // The caller is looked up by operationLimitsPlugin, once the document passed the limits.
    expressMiddleware(apollo, {
      context: async ({ req, res }) => buildContext(null, req.ip ?? null, requestRecordOf(res)),
    }),
  );
  app.use(requestErrorHandler(logger));

  // Sockets above the cap are accepted only to be closed with a clean code, long before the
  // process would run out of file handles.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes });
  httpServer.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    if (!webSocketOriginAllowed(request, config.corsOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Draining: refused before the upgrade, so that a load balancer passes it to another
    // instance (nginx: proxy_next_upstream http_503; a GET is retried safely).
    if (draining) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (wss.clients.size > config.maxSockets) {
        metrics.socketConnection('over_cap');
        logger.record(
          'info',
          { outcome: 'over_cap', code: CloseCodes.TryAgainLater },
          'socket refused',
        );
        ws.close(CloseCodes.TryAgainLater, 'Too many connections: retry later');
        return;
      }
      // A subscription result shared by a cohort is serialized once; the message graphql-ws
      // builds for this socket carries a marker that is swapped for those bytes as it is sent.
      coalesceWrites(ws, {
        rewrite: (data) => shared.expand(data),
        maxBufferedBytes: config.maxSocketBufferBytes,
        onCutOff: (bytes) => {
          metrics.slowConsumerCut();
          logger.info(`cut off a slow consumer (${bytes} bytes unread)`);
        },
      });
      wss.emit('connection', ws, request);
    });
  });
  const wsServer = serveGraphqlWs({
    schema,
    wss,
    config,
    services,
    sessions,
    logger,
    metrics,
    limits,
    validationRules,
    costs,
    buildContext,
    shared,
    openings,
  });

  let metricsListener: MetricsListener | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.debug('stop: jobs');
      await jobRunner.stop();
      logger.debug('stop: sessions');
      await Promise.all(jobs.map((job) => job.stop()));
      await sessions.stop();
      await hub.access.stop();
      logger.debug('stop: sockets');
      await wsServer.shutDown();
      // Stops accepting and drains in-flight requests (ApolloServerPluginDrainHttpServer).
      logger.debug('stop: http');
      await apollo.stop();
      await services.locks.settled();
      await metricsListener?.close();
      logger.debug('stop: pubsub');
      await pubsub.close();
      logger.debug('stop: database');
      await dataSource.destroy();
      logger.debug('stop: done');
    })();
    return stopping;
  };

  let drained: Promise<void> | undefined;
  const drain = () => {
    drained ??= (async () => {
      const started = Date.now();
      draining = true;
      const sockets = wss.clients.size;
      await wsServer.handOver(started + (config.drainSeconds * 1000) / 2);
      logger.info(`draining: handed ${sockets} sockets over in ${Date.now() - started} ms`);
      const readyzSeen = started + Math.min(1000, config.drainSeconds * 500) - Date.now();
      if (readyzSeen > 0) await new Promise((resolve) => setTimeout(resolve, readyzSeen));
      // Stop accepting first, without http's closing of idle connections: a connection accepted
      // an instant ago has not sent its request yet and would be cut with it (nginx cannot pass
      // a POST it already sent to another instance). Its request is read within a moment, then
      // counts as in flight for the drain below.
      net.Server.prototype.close.call(httpServer);
      await new Promise((resolve) => setTimeout(resolve, 250));
      await stop();
    })();
    return drained;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject); // e.g. the port is taken
      httpServer.listen(
        { port: config.port, host: config.host, backlog: config.listenBacklog },
        () => {
          httpServer.off('error', reject);
          resolve();
        },
      );
    });
    if (config.metricsAddress) {
      metricsListener = await listenForMetrics(config.metricsAddress, serveMetrics);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;

  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    port,
    dataSource,
    pubsub,
    services,
    sessions,
    hub,
    shared,
    metrics,
    metricsUrl:
      metricsListener?.url ?? (config.metricsToken ? `http://${host}:${port}/metrics` : undefined),
    stop,
    drain,
  };
}
