import type { JobHelpers, TaskList } from 'graphile-worker';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { enqueueJob } from '../../src/db/job-queue';
import { JobRunner } from '../../src/jobs/job-runner';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { whileRefusedOnce } from '../support/refused-once';

/** A condition that becomes true within `timeoutMs`, or the test fails saying what it waited for. */
async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the job queue (graphile-worker, issue 16 item 10)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let runner: JobRunner;
  const ran: Array<{ task: string; payload: unknown; attempt: number }> = [];
  const failuresLeft = new Map<string, number>();
  let slowRelease: (() => void) | undefined;

  const record =
    (task: string) =>
    async (payload: unknown, helpers: JobHelpers): Promise<void> => {
      const key = JSON.stringify(payload);
      if ((failuresLeft.get(key) ?? 0) > 0) {
        failuresLeft.set(key, failuresLeft.get(key)! - 1);
        throw new Error('failing on purpose');
      }
      if ((payload as { slow?: boolean }).slow) {
        await new Promise<void>((resolve) => (slowRelease = resolve));
      }
      ran.push({ task, payload, attempt: helpers.job.attempts });
    };
  const settings: Array<{ setting: string; source: string }> = [];
  const tasks: TaskList = {
    record: record('record'),
    ordered: record('ordered'),
    // What the runner's own connections (claims, completions) commit with.
    settings: async (_payload, helpers) => {
      const { rows } = await helpers.query<{ setting: string; source: string }>(
        "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'",
      );
      settings.push(rows[0]!);
    },
  };

  const jobsLeft = async () =>
    Number(
      (
        (await dataSource.query('SELECT count(*)::int AS n FROM graphile_worker.jobs')) as Array<{
          n: number;
        }>
      )[0]!.n,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, poolSize: 3 });
    await dataSource.initialize();
    runner = await new JobRunner(
      tasks,
      { databaseUrl: database.url, concurrency: 4, pollIntervalMs: 100 },
      createLogger(process.env.JOBLOG ? 'debug' : 'silent'),
    ).start();
  });
  afterAll(async () => {
    await runner.stop();
    await dataSource.destroy();
    await database.drop();
  });
  beforeEach(() => {
    ran.length = 0;
    failuresLeft.clear();
  });

  it('the migrations installed graphile-worker’s schema (the template has it)', async () => {
    const rows = (await dataSource.query(
      `SELECT to_regprocedure('graphile_worker.add_job(text, json, text, timestamptz, integer, text, integer, text[], text)') IS NOT NULL AS present`,
    )) as Array<{ present: boolean }>;
    expect(rows).toEqual([{ present: true }]);
  });

  it('a job added in the caller’s transaction runs once it commits, never when it rolls back', async () => {
    await dataSource
      .transaction(async (manager) => {
        await enqueueJob(manager, { task: 'record', payload: { n: 'rolled back' } });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await dataSource.transaction((manager) =>
      enqueueJob(manager, { task: 'record', payload: { n: 'committed' } }),
    );
    await eventually('the committed job', () => ran.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toEqual([{ task: 'record', payload: { n: 'committed' }, attempt: 1 }]);
    await eventually('no job left', () => true);
    expect(await jobsLeft()).toBe(0);
  });

  it('the queue’s own bookkeeping commits without waiting for the disk; jobs are added durably, in the caller’s transaction', async () => {
    // (The test database may run without synchronous commits altogether: what counts is that
    // the runner sets it for its own connections, and that the callers' do not inherit it.)
    await dataSource.transaction(async (manager) => {
      await enqueueJob(manager, { task: 'settings', payload: {} });
      const [caller] = (await manager.query(
        "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'",
      )) as Array<{ setting: string; source: string }>;
      expect(caller!.source).not.toBe('client');
    });
    await eventually('the settings job', () => settings.length === 1);
    expect(settings).toEqual([{ setting: 'off', source: 'client' }]);
  });

  it('jobs of one named queue run one at a time, in the order they were added', async () => {
    await dataSource.transaction(async (manager) => {
      for (let n = 0; n < 20; n++) {
        await enqueueJob(manager, { task: 'ordered', payload: { n }, queueName: 'conversation:1' });
      }
    });
    await eventually('20 jobs', () => ran.length === 20);
    expect(ran.map((r) => (r.payload as { n: number }).n)).toEqual(
      Array.from({ length: 20 }, (_, n) => n),
    );
  });

  it('a job key keeps one pending job: adding it again replaces it', async () => {
    await dataSource.transaction(async (manager) => {
      const runAt = new Date(Date.now() + 500);
      await enqueueJob(manager, { task: 'record', payload: { v: 1 }, jobKey: 'k', runAt });
      await enqueueJob(manager, { task: 'record', payload: { v: 2 }, jobKey: 'k', runAt });
      await enqueueJob(manager, { task: 'record', payload: { v: 3 }, jobKey: 'k', runAt });
    });
    await eventually('the keyed job', () => ran.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran.map((r) => r.payload)).toEqual([{ v: 3 }]);
  });

  it('a job that throws is retried (graphile-worker’s backoff) until it succeeds', async () => {
    failuresLeft.set(JSON.stringify({ retry: 1 }), 1);
    await dataSource.transaction((manager) =>
      enqueueJob(manager, { task: 'record', payload: { retry: 1 } }),
    );
    await eventually('the retried job', () => ran.length === 1, 15_000);
    expect(ran[0]).toMatchObject({ attempt: 2 });
  });

  it('stopping waits for a running job to finish; the next runner takes what is left', async () => {
    await dataSource.transaction(async (manager) => {
      await enqueueJob(manager, {
        task: 'record',
        payload: { slow: true },
        queueName: 'serial',
      });
      await enqueueJob(manager, { task: 'record', payload: { after: true }, queueName: 'serial' });
    });
    await eventually('the slow job to start', () => slowRelease !== undefined);
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stopped).toBe(false);
    slowRelease!();
    await stopping;
    expect(ran.map((r) => r.payload)).toEqual([{ slow: true }]);
    // What finished during the stop is recorded as done: nothing is left locked.
    const locked = (await dataSource.query(
      'SELECT id FROM graphile_worker.jobs WHERE locked_at IS NOT NULL',
    )) as unknown[];
    expect(locked).toEqual([]);
    runner = await new JobRunner(
      tasks,
      { databaseUrl: database.url, concurrency: 4, pollIntervalMs: 100 },
      createLogger('silent'),
    ).start();
    await eventually('the job left behind', () => ran.length === 2);
    expect(ran[1]!.payload).toEqual({ after: true });
  });
  it('a runner whose worker pool shut itself down (a batch of completions failed: graphile/worker#636) is started again; later jobs run', async () => {
    // One completion refused, once: graphile-worker then shuts its worker pool down.
    await whileRefusedOnce(
      dataSource,
      {
        name: 'refuse_completion_once',
        on: 'BEFORE DELETE',
        table: 'graphile_worker._private_jobs',
        when: "OLD.payload ->> 'refused' = 'yes'",
        raise: "RAISE EXCEPTION 'completion refused on purpose'",
      },
      async () => {
        await enqueueJob(dataSource.manager, { task: 'record', payload: { refused: 'yes' } });
        await eventually('the refused job to run', () => ran.length === 1);
        // Its completion failed: it stays locked by the runner that died with it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await enqueueJob(dataSource.manager, { task: 'record', payload: { later: true } });
        await eventually('a later job to run', () => ran.length === 2, 15_000);
        expect(ran.map((r) => r.payload)).toEqual([{ refused: 'yes' }, { later: true }]);
      },
    );
  });
});
