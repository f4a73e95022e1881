import { run, type Runner, type TaskList } from 'graphile-worker';
import { Pool } from 'pg';
import { workerLogger } from '../db/job-queue';
import type { Logger } from '../logger';

/** How long after the runner stopped by itself it is started again. */
const RESTART_DELAY_MS = 1_000;

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
      // graphile-worker's own writes on this pool (a job claimed, completed, failed) commit
      // without waiting for the disk: losing the last of them in a crash of PostgreSQL only runs
      // those jobs again, which every task allows (a job runs at least once; what a task must
      // keep, it writes through the server's pool, durably, before its completion, and the log
      // is flushed in order). Each was a WAL flush of its own: an outbox drain of one reply paid
      // three (claim, the SENT record, completion) where its floor pays one, and a webhook's job
      // was claimed one flush later after its NOTIFY. Jobs are added through the server's pool,
      // in their caller's transaction, never this one.
      options: '-c TimeZone=UTC -c synchronous_commit=off',
    });
    // An idle client losing its connection must not crash the process; the runner reconnects.
    this.pool.on('error', (error) => this.logger.error('jobs: idle connection lost', error));
    this.pool.on('connect', (client) =>
      client.on('error', (error) => this.logger.error('jobs: connection lost', error)),
    );
    try {
      await this.launch();
    } catch (error) {
      await this.pool.end();
      throw error;
    }
    return this;
  }

  /**
   * Starts graphile-worker's runner on our pool, and starts it again when it stops without our
   * asking. graphile-worker 0.17 shuts its worker pool down on one failed batch of completions
   * or failures (a deadlock, a dropped connection: "Could not completeJobs; queue is in an
   * inconsistent state; aborting", graphile/worker#636, never retried), and then resolves
   * `runner.promise` as if stopped on purpose (#635): the instance went on answering with no job
   * running, every outbox send and webhook left pending (seen in the campaigns bench, 4 workers
   * completing drains at once). The jobs the dead runner held stay locked (graphile-worker frees
   * them after 4 hours); the outbox's and the webhooks' sweeps add them again.
   */
  private async launch(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    const runner = await run({
      pgPool: pool,
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
    this.runner = runner;
    const restart = (reason: unknown) => {
      if (this.runner !== runner) return; // stopped by us
      this.runner = undefined;
      this.logger.error('jobs: the runner stopped by itself; starting it again', reason);
      setTimeout(() => {
        if (this.pool !== pool || this.runner) return;
        this.launch().catch((error: unknown) =>
          this.logger.error('jobs: starting the runner again failed', error),
        );
      }, RESTART_DELAY_MS).unref();
    };
    runner.promise.then(
      () => restart('its worker pool exited'),
      (error: unknown) => restart(error),
    );
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
