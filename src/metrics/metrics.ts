import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
} from 'prom-client';

export type Transport = 'http' | 'ws';

/** A request (or a socket operation) as it is counted: labels bounded by the schema's fields. */
export interface RequestOutcome {
  transport: Transport;
  /** query, mutation, subscription, or `-` when the document never resolved to one. */
  type: string;
  /** The root field (never the client's operation name: that is unbounded), or `-`. */
  operation: string;
  /** `OK`, or the first error's `extensions.code`. */
  outcome: string;
  /** How long it took (a subscription: until it started); undefined to count it only. */
  seconds: number | undefined;
}

/** What the database says at scrape time, read in one statement (src/db/operational-gauges.ts). */
export interface DatabaseGauges {
  pendingEvents: number;
  oldestPendingSeconds: number;
  queues: Array<{ organization: string; inbox: string; depth: number; oldestSeconds: number }>;
}

/**
 * What the other parts count themselves with plain increments on their hot paths, read when
 * Prometheus scrapes (so a counter costs a request nothing but `+= 1`).
 */
export interface MetricSources {
  sockets(): number;
  windows(): number;
  pubsub: { readonly published: number; readonly failed: number };
  hub: {
    readonly received: number;
    readonly delivered: number;
    readonly gapFilled: number;
    streams(): number;
  };
  jobs: ReadonlyArray<{ readonly name: string; readonly runs: number; readonly failures: number }>;
  pool(): { total: number; idle: number; waiting: number; max: number };
  /** One cheap statement; rejected when the database does not answer in time. */
  database(): Promise<DatabaseGauges>;
}

/** Latency buckets for a contact-center console's requests: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;

/**
 * Node's own figures (event-loop lag, heap, GC, CPU, handles), once per process: they are the
 * process's, not a server's, and their event-loop monitor cannot be stopped once started.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 10 });
  }
  return processRegistry;
}

type RequestLabels = 'transport' | 'type' | 'operation' | 'outcome';

/**
 * The instance's Prometheus metrics (prom-client): counters and histograms kept as things
 * happen, gauges read from their sources at scrape time. One registry per server, so that two
 * servers in one process (the tests) keep their own.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<RequestLabels>;
  private readonly latency: Histogram<Exclude<RequestLabels, 'outcome'>>;
  private readonly connections: Counter<'outcome'>;
  private readonly slowConsumers: Counter;
  /** Bound label sets, by their key: prom-client hashes the labels on every unbound call. */
  private readonly bound = new Map<
    string,
    { count: { inc(): void }; observe: (seconds: number) => void }
  >();
  private openSubscriptions = 0;

  constructor(private readonly sources: MetricSources) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'tandem_requests_total',
      help: 'GraphQL requests (HTTP) and socket operations, by root field and outcome code',
      labelNames: ['transport', 'type', 'operation', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'tandem_request_duration_seconds',
      help: 'Time to answer a request or socket operation (a subscription: until it started)',
      labelNames: ['transport', 'type', 'operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.connections = new Counter({
      name: 'tandem_socket_connections_total',
      help: 'WebSocket connections by outcome: accepted, unauthorized, unavailable, over_cap, failed',
      labelNames: ['outcome'],
      registers,
    });
    this.slowConsumers = new Counter({
      name: 'tandem_slow_consumers_cut_total',
      help: 'Sockets cut off because their client left MAX_SOCKET_BUFFER_BYTES unread',
      registers,
    });
    this.gaugeOf('tandem_sockets_open', 'WebSockets open', () => sources.sockets());
    this.gaugeOf('tandem_windows_open', 'Authenticated windows (sockets) held', () =>
      sources.windows(),
    );
    this.gaugeOf('tandem_subscriptions_open', 'Subscriptions running on this instance', () =>
      Math.max(0, this.openSubscriptions),
    );
    this.gaugeOf('tandem_event_streams_open', 'Streams this instance is subscribed to', () =>
      sources.hub.streams(),
    );
    this.counterOf(
      'tandem_events_published_total',
      'Messages handed to the PubSub',
      () => sources.pubsub.published,
    );
    this.counterOf(
      'tandem_publish_failures_total',
      'Publishes dropped or failed (subscribers catch up from the event log)',
      () => sources.pubsub.failed,
    );
    this.counterOf(
      'tandem_events_received_total',
      'Events received from the PubSub',
      () => sources.hub.received,
    );
    this.counterOf(
      'tandem_events_delivered_total',
      'Events delivered to local subscribers (one per subscriber)',
      () => sources.hub.delivered,
    );
    this.counterOf(
      'tandem_event_gap_fills_total',
      'Events read from the log because the PubSub lost or reordered them',
      () => sources.hub.gapFilled,
    );
    new Counter({
      name: 'tandem_job_runs_total',
      help: 'Runs of the periodic jobs, by job',
      labelNames: ['job'],
      registers,
      collect() {
        this.reset();
        for (const job of sources.jobs) this.inc({ job: job.name }, job.runs);
      },
    });
    new Counter({
      name: 'tandem_job_failures_total',
      help: 'Failed runs of the periodic jobs, by job (retried at their next tick)',
      labelNames: ['job'],
      registers,
      collect() {
        this.reset();
        for (const job of sources.jobs) this.inc({ job: job.name }, job.failures);
      },
    });
    new Gauge({
      name: 'tandem_db_pool_connections',
      help: 'PostgreSQL pool connections by state: open, idle, max; requests waiting for one',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = sources.pool();
        this.set({ state: 'open' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'max' }, pool.max);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
  }

  /** Counts a request or socket operation, and its latency. */
  recordRequest(request: RequestOutcome): void {
    const key = `${request.transport}|${request.type}|${request.operation}|${request.outcome}`;
    let bound = this.bound.get(key);
    if (!bound) {
      const labels = {
        transport: request.transport,
        type: request.type,
        operation: request.operation,
      };
      const histogram = this.latency.labels(labels);
      bound = {
        count: this.requests.labels({ ...labels, outcome: request.outcome }),
        observe: (seconds) => histogram.observe(seconds),
      };
      this.bound.set(key, bound);
    }
    bound.count.inc();
    if (request.seconds !== undefined) bound.observe(request.seconds);
  }

  socketConnection(outcome: string): void {
    this.connections.inc({ outcome });
  }

  slowConsumerCut(): void {
    this.slowConsumers.inc();
  }

  subscriptionOpened(): void {
    this.openSubscriptions += 1;
  }

  subscriptionClosed(): void {
    this.openSubscriptions -= 1;
  }

  /** The exposition text: the database's gauges read first (one statement), then every metric. */
  async render(): Promise<string> {
    await this.readDatabase();
    const [own, processWide] = await Promise.all([
      this.registry.metrics(),
      processMetrics().metrics(),
    ]);
    return `${own}\n${processWide}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private readonly databaseUp = new Gauge({
    name: 'tandem_metrics_database_up',
    help: '1 when the scrape could read the database gauges below, 0 when it could not',
    registers: [this.registry],
  });
  private readonly pendingEvents = new Gauge({
    name: 'tandem_sequencer_pending_events',
    help: 'Events committed but not yet numbered on their stream (the sequencer lag)',
    registers: [this.registry],
  });
  private readonly oldestPending = new Gauge({
    name: 'tandem_sequencer_oldest_pending_seconds',
    help: 'Age of the oldest committed event not yet numbered (0 when none)',
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({
    name: 'tandem_queue_depth',
    help: 'Conversations waiting in an inbox queue for an agent',
    labelNames: ['organization', 'inbox'],
    registers: [this.registry],
  });
  private readonly queueOldest = new Gauge({
    name: 'tandem_queue_oldest_wait_seconds',
    help: 'How long the oldest conversation of an inbox queue has waited (0 when empty)',
    labelNames: ['organization', 'inbox'],
    registers: [this.registry],
  });

  private async readDatabase(): Promise<void> {
    let gauges: DatabaseGauges;
    try {
      gauges = await this.sources.database();
    } catch {
      // The scrape still answers (the process figures matter most when the database is away);
      // the database's gauges are left out rather than shown stale.
      this.databaseUp.set(0);
      for (const gauge of [this.pendingEvents, this.oldestPending, this.queueDepth]) gauge.reset();
      this.queueOldest.reset();
      return;
    }
    this.databaseUp.set(1);
    this.pendingEvents.set(gauges.pendingEvents);
    this.oldestPending.set(gauges.oldestPendingSeconds);
    this.queueDepth.reset();
    this.queueOldest.reset();
    for (const queue of gauges.queues) {
      const labels: LabelValues<'organization' | 'inbox'> = {
        organization: queue.organization,
        inbox: queue.inbox,
      };
      this.queueDepth.set(labels, queue.depth);
      this.queueOldest.set(labels, queue.oldestSeconds);
    }
  }

  private gaugeOf(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A counter whose source counts itself (a plain field); read at scrape time. */
  private counterOf(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }
}
