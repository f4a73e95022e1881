import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import {
  removeAbandonedDataDirs,
  startEmbeddedPostgres,
  freePort,
  type EmbeddedPostgres,
} from '../../src/db/embedded-postgres';
import { createDataSource } from '../../src/db/data-source';
import { migrate } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';

declare global {
  // Handed from setup to teardown (same process).
  var tandemTestServices:
    | { postgres?: EmbeddedPostgres; redis?: ChildProcess; dataDir?: string; logFile?: string }
    | undefined;
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
async function startPostgres(
  dataDir: string,
  template: string,
): Promise<{ url: string; embedded?: EmbeddedPostgres }> {
  const logger = createLogger('error');
  await removeAbandonedDataDirs(path.dirname(dataDir), logger);
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(dataDir, logger, {
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
  await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const migrated = createDataSource({
    url: new URL(`/${template}`, serverUrl).toString(),
    poolSize: 1,
  });
  await migrated.initialize();
  await migrate(migrated);
  await migrated.destroy();
  return { url: serverUrl.toString(), embedded };
}

export default async function globalSetup(): Promise<void> {
  // A cluster of its own per run, so that two runs on one machine never share databases.
  const dataDir = path.resolve('.data/test', `${process.pid}-${Date.now().toString(36)}`);
  const template = `tandem_template_${process.pid}`;
  const [postgres, redis] = await Promise.all([startPostgres(dataDir, template), startRedis()]);
  // Every test server's log lines, at debug, for the teardown to search for secrets (issue 19).
  const logFile = path.resolve('.data/test', `${path.basename(dataDir)}.log`);
  globalThis.tandemTestServices = {
    postgres: postgres.embedded,
    redis: redis.process,
    dataDir,
    logFile,
  };
  process.env.TANDEM_TEST_LOG_FILE = logFile;
  process.env.TANDEM_TEST_POSTGRES_URL = postgres.url;
  process.env.TANDEM_TEST_REDIS_URL = redis.url;
  process.env.TANDEM_TEST_TEMPLATE = template;
}
