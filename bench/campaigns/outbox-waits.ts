import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client } from 'pg';
import { ownCpuUs, processTreeCpuUs } from '../support/cpu';

/** What the outbox's rounds cost, beside their rate: the answer to "where does a send wait?". */
export interface RoundCost {
  /** This process's CPU (server, job workers, stub, bare loop) per send, µs. */
  processCpuUs: number;
  /** Postgres's CPU (every backend) per send, µs; null without an embedded postmaster. */
  postgresCpuUs: number | null;
  /** Event-loop delay of this process during the round, p50 / p99, ms. */
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
}

/** Measures a round's CPU and event-loop delay; `stop(sends)` answers them per send. */
export function startRoundCost(postmasterPid: number | undefined) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpuBefore = ownCpuUs();
  const pgBefore = postmasterPid ? processTreeCpuUs(postmasterPid) : 0;
  return {
    stop(sends: number): RoundCost {
      loop.disable();
      const processCpuUs = (ownCpuUs() - cpuBefore) / sends;
      const postgresCpuUs = postmasterPid
        ? (processTreeCpuUs(postmasterPid) - pgBefore) / sends
        : null;
      return {
        processCpuUs,
        postgresCpuUs,
        loopDelayP50Ms: loop.percentile(50) / 1e6,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
      };
    },
  };
}

/**
 * Samples `pg_stat_activity` of one database every few milliseconds, from a connection of its
 * own: for each backend of the server (not graphile-worker's own pool unless asked), what it is
 * doing: running a statement (and what it waits on inside Postgres: a lock, the WAL flush, I/O;
 * "CPU" when nothing), or idle in a transaction (waiting for this process to send the next
 * statement). Counts per kind of sample; `shares()` turns them into shares of all samples of
 * busy backends.
 */
export class ActivitySampler {
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private readonly counts = new Map<string, number>();
  private samples = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly intervalMs = 5,
  ) {}

  async start(): Promise<this> {
    this.client = new Client({ connectionString: this.databaseUrl, application_name: 'sampler' });
    await this.client.connect();
    return this;
  }

  begin(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    if (this.sampling || !this.client) return;
    this.sampling = true;
    try {
      const { rows } = await this.client.query<{
        app: string;
        state: string;
        wait: string | null;
        query: string;
      }>(
        `SELECT application_name AS app, state,
                CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ':' || wait_event END AS wait,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 48) AS query
           FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND backend_type = 'client backend' AND state <> 'idle'`,
      );
      this.samples += 1;
      for (const row of rows) {
        const pool = row.app === 'tandem-jobs' ? 'jobs' : 'server';
        const what =
          row.state === 'active'
            ? `${pool} active, ${row.wait ?? 'CPU'}: ${row.query}`
            : `${pool} ${row.state} (waiting for Node) after: ${row.query}`;
        this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
      }
    } catch {
      // a sample lost is a sample lost
    } finally {
      this.sampling = false;
    }
  }

  /** The kinds seen, most frequent first: how many backends were in it per sample, on average. */
  rows(limit = 14): Array<[string, number]> {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([what, count]) => [what, count / Math.max(1, this.samples)]);
  }

  get sampleCount(): number {
    return this.samples;
  }

  async stop(): Promise<void> {
    this.end();
    await this.client?.end();
    this.client = undefined;
  }
}
