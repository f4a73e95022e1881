import { loadConfig, type Config } from '../../src/config';
import { createLogger, type Logger } from '../../src/logger';
import { StatementCounter } from '../../src/db/data-source';
import { startServer, type TandemServer } from '../../src/server';
import { TEST_SECRETS_KEY } from './child-process';
import { createTestDatabase, type TestDatabase } from './database';
import { testRedisUrl } from './env';

// Tests pin statements per request: background jobs' statements are told apart from them.
StatementCounter.separateBackground = true;

export interface TestServerOptions {
  /** Use this database (e.g. shared by two instances); otherwise a new one is created. */
  database?: TestDatabase;
  /** Redis PubSub (default) or the in-process one. */
  pubsub?: 'redis' | 'in-process';
  config?: Partial<Config>;
  /**
   * Where the server logs (default: debug lines to the run's log file, which the global teardown
   * searches for secrets; or to stdout with TANDEM_TEST_LOG=1).
   */
  logger?: Logger;
}

export interface TestServer extends TandemServer {
  database: TestDatabase;
  config: Config;
}

function testLogger(config: Config): Logger {
  const file = process.env.TANDEM_TEST_LOG_FILE;
  if (process.env.TANDEM_TEST_LOG === '1' || !file) return createLogger(config.logLevel);
  return createLogger('debug', { file });
}

/** A real server instance on a free port, with real Postgres and (by default) real Redis. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config: Config = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    logLevel: process.env.TANDEM_TEST_LOG === '1' ? 'debug' : 'silent',
    redisUrl: options.pubsub === 'in-process' ? undefined : testRedisUrl(),
    secretsKey: Buffer.from(TEST_SECRETS_KEY, 'base64'),
    ...options.config,
  };
  const server = await startServer({
    config,
    databaseUrl: database.url,
    logger: options.logger ?? testLogger(config),
  });
  const ownsDatabase = !options.database;
  return {
    ...server,
    database,
    config,
    stop: async () => {
      await server.stop();
      if (ownsDatabase) await database.drop();
    },
  };
}

/** Two instances sharing one Postgres and one Redis, as behind a load balancer. */
export async function startTwoInstances(config: Partial<Config> = {}): Promise<{
  a: TestServer;
  b: TestServer;
  stop(): Promise<void>;
}> {
  const database = await createTestDatabase();
  const [a, b] = await Promise.all([
    startTestServer({ database, config }),
    startTestServer({ database, config }),
  ]);
  return {
    a,
    b,
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
      await database.drop();
    },
  };
}
