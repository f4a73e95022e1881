/**
 * One server instance in a process of its own, for tests that must stop an instance hard
 * (SIGKILL: no drain, no cleanup). Reads DATABASE_URL (already migrated), REDIS_URL and the
 * usual settings; prints its URLs as one JSON line once it listens. Started with an IPC channel
 * (and `--expose-gc`), it answers `heap` with its memory after a full collection.
 */
import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  const server = await startServer({
    config,
    databaseUrl: config.databaseUrl,
    logger: createLogger(config.logLevel),
  });
  process.on('message', (question) => {
    if (question !== 'heap') return;
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.(process.memoryUsage());
  });
  console.log(JSON.stringify({ url: server.url, wsUrl: server.wsUrl }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
