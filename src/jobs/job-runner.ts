import { run, type Runner, type TaskList } from 'graphile-worker';
import { Pool } from 'pg';
import { workerLogger } from '../db/job-queue';
import type { Logger } from '../logger';

export interface JobRunnerOptions {
  databaseUrl: string;
  /** Jobs this instance runs at once (each holds a connection while it runs). */
  concurrency: number;
  /** How often it looks for jobs whose time came (new jobs wake it at once, by NOTIFY). */
  pollIntervalMs: number;
}

/**
 * This instance's share of the job queue: graphile-worker's runner, on a pool of its own (its
 * LISTEN connection and its running jobs never take a connection a request is waiting for).
 * Every instance runs one; a job is claimed by one of them (SKIP LOCKED), and a job that was
 * running on an instance that died is taken up again once its lock expires.
 */
export class JobRunner {
  private runner: Runner | undefined;
  private pool: Pool | undefined;

  constructor(
    private readonly tasks: TaskList,
    private readonly options: JobRunnerOptions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<this> {
    this.pool = new Pool({
      connectionString: this.options.databaseUrl,
      max: this.options.concurrency + 2,
      application_name: 'tandem-jobs',
      // The queue's own bookkeeping (a claim, a completion, a failure's next attempt) commits
      // without waiting for the disk: every job is added durably in its caller's transaction,
      // and losing the last of these in a crash of PostgreSQL only has a job run again, which
      // every task tolerates (a job runs at least once). A lost completion cannot outlive the
      // task's own writes: those commit synchronously first, and the log is flushed in order.
      // With it, a job is claimed one disk flush sooner after its NOTIFY (a webhook's
      // processing starts that much earlier) and a burst's jobs do not queue on the WAL.
      options: '-c TimeZone=UTC -c synchronous_commit=off',
    });
    // An idle client losing its connection must not crash the process; the runner reconnects.
    this.pool.on('error', (error) => this.logger.error('jobs: idle connection lost', error));
    this.pool.on('connect', (client) =>
      client.on('error', (error) => this.logger.error('jobs: connection lost', error)),
    );
    try {
      this.runner = await run({
        pgPool: this.pool,
        taskList: this.tasks,
        concurrency: this.options.concurrency,
        pollInterval: this.options.pollIntervalMs,
        // The server owns the signals, and stops the runner as part of its own drain.
        noHandleSignals: true,
        // No crontab file is read: timed work is scheduled as jobs.
        parsedCronItems: [],
        logger: workerLogger(this.logger),
        preset: {
          worker: {
            // Completions and failures are written in (tiny) batches, which graphile-worker
            // flushes before its graceful stop resolves; unbatched, they are written after it,
            // and a job that finished during the stop would stay locked for hours once our
            // pool is closed.
            completeJobBatchDelay: 0,
            failJobBatchDelay: 0,
          },
        },
      });
    } catch (error) {
      await this.pool.end();
      throw error;
    }
    return this;
  }

  /** Stops taking jobs, waits for the running ones (graphile-worker's graceful stop), closes its pool. */
  async stop(): Promise<void> {
    const { runner, pool } = this;
    this.runner = undefined;
    this.pool = undefined;
    if (runner) {
      await runner.stop();
      await runner.promise.catch((error: unknown) => this.logger.error('jobs: stop', error));
    }
    await pool?.end();
  }
}
