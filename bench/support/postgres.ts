import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { migrate } from '../../src/db/migrate';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';
import type { BenchContext } from './benchmark';

/** The embedded cluster every benchmark uses when DATABASE_URL is not set. */
export const BENCH_DATA_DIR = path.resolve(__dirname, '..', '..', '.data', 'bench');
const DATABASE_PREFIX = 'tandem_bench_';

export interface BenchDatabase {
  /** A fresh, migrated database of this run, dropped when the benchmark ends. */
  url: string;
  /** The postmaster of the embedded cluster (its CPU time can be read); none for DATABASE_URL. */
  postmasterPid: number | undefined;
  /** e.g. "PostgreSQL 18.1, embedded (.data/bench), default settings". */
  description: string;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Postgres for a benchmark: the embedded cluster under `.data/bench` (default settings), or the
 * server of DATABASE_URL; in it a database of this run, migrated like production.
 */
export async function openBenchDatabase(context: BenchContext): Promise<BenchDatabase> {
  const external = loadConfig().databaseUrl;
  let serverUrl: string;
  let postmasterPid: number | undefined;
  if (external) {
    serverUrl = external;
  } else {
    context.log(
      `starting the embedded PostgreSQL in ${path.relative(process.cwd(), BENCH_DATA_DIR)}`,
    );
    // BENCH_PG_FLAGS: settings for this run's cluster only (a profiling run's
    // `-c shared_preload_libraries=pg_stat_statements`), space-separated `-c name=value` pairs.
    const extraFlags = (process.env.BENCH_PG_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const embedded = await startEmbeddedPostgres(BENCH_DATA_DIR, createLogger('error'), {
      extraFlags,
    });
    context.defer(() => embedded.stop());
    serverUrl = embedded.url;
    const pidFile = readFileSync(path.join(BENCH_DATA_DIR, 'pg', 'postmaster.pid'), 'utf8');
    postmasterPid = Number(pidFile.split('\n')[0]);
  }

  const adminUrl = new URL('/postgres', serverUrl).toString();
  const name = `${DATABASE_PREFIX}${context.name.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  const version = await withClient(adminUrl, async (admin) => {
    if (!external) {
      // Databases of interrupted runs; the cluster is ours alone (a second run refuses to start).
      const { rows } = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE '${DATABASE_PREFIX}%'`,
      );
      for (const { datname } of rows) await admin.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${name}`);
    const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  });
  context.defer(() =>
    withClient(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  );

  const url = new URL(`/${name}`, serverUrl).toString();
  const migrations = createDataSource({ url, poolSize: 1 });
  await migrations.initialize();
  await migrate(migrations);
  await migrations.destroy();

  return {
    url,
    postmasterPid,
    description: external
      ? `PostgreSQL ${version} at DATABASE_URL`
      : `PostgreSQL ${version}, embedded (.data/bench), ${process.env.BENCH_PG_FLAGS ? `flags \`${process.env.BENCH_PG_FLAGS}\`` : 'default settings'}`,
  };
}
