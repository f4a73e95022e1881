import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { createLogger } from './logger';
import { startServer } from './server';
import { OrganizationService } from './services/organization/organization.service';
import { UnitOfWork } from './db/unit-of-work';
import { InProcessPubSub } from './subscriptions/pubsub';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) embedded = await startEmbeddedPostgres(config.dataDir, logger);
  const databaseUrl = config.databaseUrl ?? (embedded as EmbeddedPostgres).url;

  // Migrations and the first organization, before the server takes traffic.
  const setup = createDataSource({ url: databaseUrl, logger, poolSize: 2 });
  await setup.initialize();
  await setup.runMigrations({ transaction: 'each' });
  const created = await new OrganizationService(
    new UnitOfWork(setup, new InProcessPubSub(), logger),
  ).bootstrap(config.adminEmail, config.adminPassword);
  await setup.destroy();

  const server = await startServer({ config, databaseUrl, logger });
  const lines = [
    `Tandem is ready.`,
    `  GraphQL (and playground):  ${server.url}`,
    `  Subscriptions (graphql-ws): ${server.wsUrl}`,
    `  Database: ${embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'}; events: ${server.pubsub.kind}`,
  ];
  if (created) {
    lines.push(
      `  First start: created an organization and its ADMIN.`,
      `    email:    ${created.email}`,
      `    password: ${created.password ?? '(ADMIN_PASSWORD)'}${created.password ? '   <- shown once, keep it' : ''}`,
    );
  }
  lines.push(`  Sign in: mutation { signIn(input: {email: "...", password: "..."}) { token } }`);
  lines.push(`  then send the header  Authorization: Bearer <token>`);
  console.log(lines.join('\n'));

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(`${signal}: draining`);
    await server.stop();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`[tandem] ${error.message}`);
  else console.error('[tandem] failed to start', error);
  process.exit(1);
});
