import { Logger as WorkerLogger, runMigrations } from 'graphile-worker';
import { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../logger';
import { poolOf } from './typeorm-adapter';

/**
 * The job queue is graphile-worker (0.17: the last for Node 20): its tables in the schema
 * `graphile_worker`, claimed with SKIP LOCKED, woken by LISTEN/NOTIFY. This file is the only
 * TypeScript that names its SQL; `src/jobs/job-runner.ts` runs the jobs.
 */

/** The job a caller adds, in its own transaction (so a rolled-back change leaves no job behind). */
export interface JobSpec {
  /** The task that runs it (a name of `src/jobs/tasks`). */
  task: string;
  /** Plain JSON: ids and values, read again from Postgres by the task. */
  payload: Record<string, unknown>;
  /** Jobs of one named queue run one at a time, across every instance, in order. */
  queueName?: string;
  /**
   * At most one pending job per key: adding again replaces the pending one (its payload and
   * time), or, when it is running, adds one to run after it.
   */
  jobKey?: string;
  /** Not before this time (now by default). */
  runAt?: Date;
  /** Attempts before the job is left failed (graphile-worker's default is 25). */
  maxAttempts?: number;
  /** `preserve_run_at` keeps the pending job's time when it is added again. */
  jobKeyMode?: 'replace' | 'preserve_run_at' | 'unsafe_dedupe';
}

/** Adds a job through `manager`: inside its transaction when it is in one. */
export async function enqueueJob(
  manager: Pick<EntityManager, 'query'>,
  spec: JobSpec,
): Promise<void> {
  await manager.query(
    `SELECT graphile_worker.add_job($1, $2::json, queue_name => $3, run_at => $4,
            max_attempts => $5, job_key => $6, job_key_mode => $7)`,
    [
      spec.task,
      JSON.stringify(spec.payload),
      spec.queueName ?? null,
      spec.runAt ?? null,
      spec.maxAttempts ?? null,
      spec.jobKey ?? null,
      spec.jobKey ? (spec.jobKeyMode ?? 'replace') : null,
    ],
  );
}

/**
 * Installs or upgrades graphile-worker's schema. Its migrations run in transactions of their own
 * (they cannot join ours) and are safe when instances start at once; `migrate` calls this after
 * its own transaction, so `npx tandem migrate`, `npm start` and the tests' template do the same.
 */
export async function migrateJobQueue(dataSource: DataSource, logger?: Logger): Promise<void> {
  // A pool of one connection, to the same database, that graphile-worker may listen on as it
  // likes (it wants error handlers on its pool, and TypeORM's is not ours to change).
  const pool = new Pool({ ...poolOf(dataSource).options, max: 1 });
  const ignore = () => undefined; // a lost connection fails runMigrations, which is what we see
  pool.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
  try {
    await runMigrations({ pgPool: pool, logger: workerLogger(logger) });
  } finally {
    await pool.end();
  }
}

/** graphile-worker's logger writing to ours (its info is our debug: it is chatty). */
export function workerLogger(logger: Logger | undefined): WorkerLogger {
  return new WorkerLogger(() => (level, message) => {
    if (!logger) return;
    if (level === 'error') logger.error(`jobs: ${message}`);
    else if (level === 'warning') logger.info(`jobs: ${message}`);
    else logger.debug(`jobs: ${message}`);
  });
}
