import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { CpuProfile } from '../support/cpu-profile';

/** One statement's share of a profiled round, per send. */
export interface StatementCost {
  query: string;
  callsPerSend: number;
  /** Time inside Postgres's executor (and planner), µs per send: CPU and any wait in it. */
  execUsPerSend: number;
}

/** A PL/pgSQL or SQL function's own time (without the functions it calls), per send. */
export interface FunctionCost {
  name: string;
  callsPerSend: number;
  selfUsPerSend: number;
  totalUsPerSend: number;
}

export interface ProfiledRound {
  cpuProfile: string;
  statements: StatementCost[];
  functions: FunctionCost[];
  perfData: string | null;
}

/**
 * Profiles one extra round of a variant (not counted in the rates), when BENCH_CPU_PROF names a
 * folder: this process's V8 CPU profile (`campaigns-outbox-<variant>.cpuprofile`, summed up by
 * `bench/support/profile-breakdown.ts`); Postgres's statements (`pg_stat_statements`, when the
 * run's cluster preloads it: `BENCH_PG_FLAGS='-c shared_preload_libraries=pg_stat_statements -c
 * pg_stat_statements.track=all -c track_functions=all'`) and functions (`track_functions`); and,
 * with BENCH_PG_PERF=1, a `perf record` of every backend of the `postgres` user
 * (`postgres-outbox-<variant>.data`: `perf report -i FILE --no-children --sort symbol`).
 */
export class OutboxProfiler {
  private client: Client | undefined;
  private statementsAvailable = false;

  constructor(
    private readonly dir: string,
    private readonly databaseUrl: string,
  ) {}

  async start(): Promise<this> {
    this.client = new Client({ connectionString: this.databaseUrl, application_name: 'profiler' });
    await this.client.connect();
    try {
      await this.client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await this.client.query('SELECT pg_stat_statements_reset()');
      this.statementsAvailable = true;
    } catch {
      this.statementsAvailable = false; // not preloaded: the node side only
    }
    return this;
  }

  /**
   * `run` does the round's preparation, then calls `begin` where its clock starts (what it
   * measures is profiled from there: a round's replies are written before).
   */
  async round(
    variant: string,
    sends: number,
    run: (begin: () => Promise<void>) => Promise<unknown>,
  ): Promise<ProfiledRound> {
    const client = this.client as Client;
    let perf: { child: ChildProcess; file: string } | null = null;
    let profile: CpuProfile | undefined;
    const begin = async () => {
      // Function counters are flushed by each backend at most once a second: let the last go.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      if (this.statementsAvailable) await client.query('SELECT pg_stat_statements_reset()');
      await client.query('SELECT pg_stat_reset()');
      perf = process.env.BENCH_PG_PERF ? this.startPerf(variant) : null;
      if (perf) await new Promise((resolve) => setTimeout(resolve, 500)); // perf attached
      profile = await CpuProfile.start(this.dir, `campaigns-outbox-${variant}`);
    };
    try {
      await run(begin);
    } finally {
      if (!profile) throw new Error('the round never began');
    }
    const cpuProfile = await profile.stop();
    const started = perf as { child: ChildProcess; file: string } | null;
    const perfData = started ? await stopPerf(started.child).then(() => started.file) : null;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const statements = this.statementsAvailable
      ? (
          await client.query<{ query: string; calls: string; ms: number }>(
            `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls,
                    total_exec_time + total_plan_time AS ms
               FROM pg_stat_statements
              WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND query NOT LIKE '%pg_stat_%'
              ORDER BY total_exec_time + total_plan_time DESC LIMIT 25`,
          )
        ).rows.map((row) => ({
          query: row.query,
          callsPerSend: Number(row.calls) / sends,
          execUsPerSend: (row.ms * 1000) / sends,
        }))
      : [];
    const functions = (
      await client.query<{ funcname: string; calls: string; self: number; total: number }>(
        `SELECT funcname, calls, self_time AS self, total_time AS total
           FROM pg_stat_user_functions ORDER BY self_time DESC LIMIT 20`,
      )
    ).rows.map((row) => ({
      name: row.funcname,
      callsPerSend: Number(row.calls) / sends,
      selfUsPerSend: (row.self * 1000) / sends,
      totalUsPerSend: (row.total * 1000) / sends,
    }));
    return { cpuProfile, statements, functions, perfData };
  }

  private startPerf(variant: string): { child: ChildProcess; file: string } {
    const file = path.resolve(this.dir, `postgres-outbox-${variant}.data`);
    const child = spawn(
      'perf',
      ['record', '-q', '-F', '1999', '-g', '-u', 'postgres', '-o', file],
      { stdio: 'ignore' },
    );
    return { child, file };
  }

  async stop(): Promise<void> {
    await this.client?.end();
  }
}

function stopPerf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}
