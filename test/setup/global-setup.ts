import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import {
  startEmbeddedPostgres,
  freePort,
  type EmbeddedPostgres,
} from '../../src/db/embedded-postgres';
import { createDataSource } from '../../src/db/data-source';
import { createLogger } from '../../src/logger';
import { TEMPLATE_DATABASE } from '../support/env';

declare global {
  // Handed from setup to teardown (same process).
  var tandemTestServices: { postgres?: EmbeddedPostgres; redis?: ChildProcess } | undefined;
}

function redisServerOnPath(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

async function startRedis(): Promise<{ url: string; process?: ChildProcess }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  const binary = redisServerOnPath();
  if (!binary) {
    throw new Error(
      'The tests need Redis: install it (Debian: `apt-get install -y redis-server`) or set REDIS_URL=redis://host:port.',
    );
  }
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, process: child };
    } catch {
      probe.disconnect();
      if (attempt > 100) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Postgres (embedded unless DATABASE_URL) with a migrated template database each test file clones. */
async function startPostgres(): Promise<{ url: string; embedded?: EmbeddedPostgres }> {
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(path.resolve('.data/test'), createLogger('error'), {
        extraFlags: [
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
        ],
      });
  const serverUrl = new URL(process.env.DATABASE_URL ?? (embedded as EmbeddedPostgres).url);
  const admin = new Client({ connectionString: new URL('/postgres', serverUrl).toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  // Databases left by an interrupted run.
  const leftovers = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'tandem\\_test\\_%'",
  );
  for (const { datname } of leftovers.rows)
    await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  await admin.end();
  const template = createDataSource({
    url: new URL(`/${TEMPLATE_DATABASE}`, serverUrl).toString(),
    poolSize: 1,
  });
  await template.initialize();
  await template.runMigrations({ transaction: 'each' });
  await template.destroy();
  return { url: serverUrl.toString(), embedded };
}

export default async function globalSetup(): Promise<void> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  globalThis.tandemTestServices = { postgres: postgres.embedded, redis: redis.process };
  process.env.TANDEM_TEST_POSTGRES_URL = postgres.url;
  process.env.TANDEM_TEST_REDIS_URL = redis.url;
}
