import { Logger as WorkerLogger, runMigrations } from 'graphile-worker';
import { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../logger';
import { preparedQuery } from './prepared';
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
 * Keyed jobs for many ids added in one statement (`add_jobs`, one NOTIFY) that commits on its own
 * without waiting for the disk: for work that is found again if the jobs are lost in a crash of
 * PostgreSQL (a sweep adds it back), where one durable statement per id made a statement, a
 * round trip and a WAL flush each. Payload `{ [idKey]: id }`, key `${keyPrefix}${id}`; with
 * `preserveRunAt`, a pending job of that key keeps its time. Never inside a transaction that
 * writes what must be durable: the setting is the transaction's. Answers the jobs added.
 */
export async function enqueueKeyedJobsLazily(
  executor: DataSource | EntityManager,
  job: { task: string; idKey: string; keyPrefix: string; preserveRunAt: boolean },
  ids: readonly string[],
): Promise<number> {
  const [row] = await preparedQuery<{ jobs: number }>(
    executor,
    `SELECT set_config('synchronous_commit', 'off', true) AS lazily,
            (SELECT count(*) FROM graphile_worker.add_jobs(
               (SELECT array_agg(ROW($1::text, json_build_object($2::text, u.id), NULL, NULL, NULL,
                                     $3::text || u.id, NULL, NULL)::graphile_worker.job_spec
                                 ORDER BY u.n)
                  FROM unnest($4::text[]) WITH ORDINALITY AS u(id, n)),
               $5::boolean))::int AS jobs`,
    [job.task, job.idKey, job.keyPrefix, ids, job.preserveRunAt],
  );
  return row?.jobs ?? 0;
}

/**
 * A row inserted and its job added in one statement: atomic without a transaction, so one round
 * trip where a client waits for the answer (a webhook is answered once it is stored). `insert`
 * is an `INSERT ... RETURNING id` whose parameters are $1...$n (`values`); the job's payload is
 * `{ [idKey]: id }` and its key `${keyPrefix}${id}`, so that adding it again replaces it.
 */
export async function insertWithJob(
  executor: DataSource | EntityManager,
  insert: { sql: string; values: unknown[] },
  job: { task: string; idKey: string; keyPrefix: string },
): Promise<string> {
  const [id] = await insertWithJobs(executor, insert, job);
  if (!id) throw new Error('insertWithJob: the insert returned no row');
  return id;
}

/**
 * `insertWithJob` for an insert of several rows (`INSERT ... SELECT ... RETURNING id`): a job per
 * row, all in one statement and one commit, added by one `add_jobs` (one wake-up of the workers,
 * where a job per call would send a NOTIFY each and run graphile-worker's checks once per row).
 * A named prepared statement: the caller's insert is one fixed text. Answers the ids.
 */
export async function insertWithJobs(
  executor: DataSource | EntityManager,
  insert: { sql: string; values: unknown[] },
  job: { task: string; idKey: string; keyPrefix: string },
): Promise<string[]> {
  const n = insert.values.length;
  const rows = await preparedQuery<{ id: string; jobs: number }>(
    executor,
    `WITH inserted AS (${insert.sql}),
     jobs AS (
       SELECT j.id FROM graphile_worker.add_jobs((
         SELECT array_agg(ROW($${n + 1}::text, json_build_object($${n + 2}::text, i.id), NULL, NULL,
                              NULL, $${n + 3}::text || i.id::text, NULL, NULL)::graphile_worker.job_spec)
           FROM inserted i)) j)
     SELECT i.id, (SELECT count(*) FROM jobs)::int AS jobs FROM inserted i`,
    [...insert.values, job.task, job.idKey, job.keyPrefix],
  );
  if (rows.some((row) => row.jobs !== rows.length)) {
    throw new Error(`insertWithJobs: ${rows.length} rows, ${rows[0]?.jobs} jobs`);
  }
  return rows.map((row) => row.id);
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

/**
 * The queue's depth for /metrics, by task and state, as one JSON value: a sub-select that
 * `src/db/operational-gauges.ts` embeds in its one statement per scrape (this file keeps the only
 * text naming graphile-worker's tables). Finished jobs are deleted, so the table is what is left:
 * `ready` (due, waiting for a worker), `scheduled` (not yet due, retries included), `running`,
 * `retrying` (failed at least once, still to try), `failed` (out of attempts, kept for a look).
 */
export const JOB_QUEUE_GAUGES_SQL = `
  (SELECT coalesce(json_agg(q), '[]'::json) FROM (
     SELECT t.identifier AS task,
            count(*) FILTER (WHERE j.locked_at IS NULL AND j.attempts < j.max_attempts
                               AND j.run_at <= now())::int AS ready,
            count(*) FILTER (WHERE j.locked_at IS NULL AND j.attempts < j.max_attempts
                               AND j.run_at > now())::int AS scheduled,
            count(*) FILTER (WHERE j.locked_at IS NOT NULL)::int AS running,
            count(*) FILTER (WHERE j.attempts > 0 AND j.attempts < j.max_attempts)::int AS retrying,
            count(*) FILTER (WHERE j.attempts >= j.max_attempts)::int AS failed,
            coalesce(extract(epoch FROM now() - min(j.run_at) FILTER (
              WHERE j.locked_at IS NULL AND j.attempts < j.max_attempts AND j.run_at <= now())),
              0)::float8 AS "oldestReadySeconds"
       FROM graphile_worker._private_jobs j
       JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      GROUP BY t.identifier) q)`;
