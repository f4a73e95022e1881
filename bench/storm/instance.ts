/**
 * One Tandem instance for the storm benchmark, in a process of its own (so that it can be killed
 * as an instance dies): reads the usual environment, prints `{"url":…,"wsUrl":…}` once listening.
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
  process.on('SIGTERM', () => void server.drain().then(() => process.exit(0)));
  console.log(JSON.stringify({ url: server.url, wsUrl: server.wsUrl }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
