import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { migrate } from './db/migrate';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { createLogger, type Logger } from './logger';
import { startServer, type TandemServer } from './server';
import { OrganizationService } from './services/organization/organization.service';
import { UnitOfWork } from './db/unit-of-work';
import { InProcessPubSub } from './subscriptions/pubsub';

/** What is running so far; shutdown stops it in reverse order. */
interface Running {
  embedded?: EmbeddedPostgres;
  server?: TandemServer;
  /** SIGTERM (an orchestrator's restart): hand the sockets over before stopping. */
  handOver?: boolean;
}

class StopRequested extends Error {}

async function stopAll(running: Running, logger: Logger): Promise<boolean> {
  let clean = true;
  for (const [what, stop] of [
    ['server', () => (running.handOver ? running.server?.drain() : running.server?.stop())],
    ['embedded PostgreSQL', () => running.embedded?.stop()],
  ] as const) {
    try {
      await stop();
    } catch (error) {
      clean = false;
      logger.error(`stopping the ${what} failed`, error);
    }
  }
  return clean;
}

function printWelcome(
  server: TandemServer,
  embedded: EmbeddedPostgres | undefined,
  dataDir: string,
  created: { email: string; password: string | null } | null,
): void {
  const lines = [
    `Tandem is ready.`,
    `  GraphQL (and playground):  ${server.url}`,
    `  Subscriptions (graphql-ws): ${server.wsUrl}`,
    `  Database: ${embedded ? `embedded PostgreSQL in ${dataDir}` : 'DATABASE_URL'}; events: ${server.pubsub.kind}`,
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
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const running: Running = {};

  // Signals are ours from the first line: one that arrives while starting ends the start at the
  // next step (instead of killing the process and leaving the embedded PostgreSQL running), and
  // a second one exits at once.
  let stopSignal: NodeJS.Signals | undefined;
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    shuttingDown ??= (async () => {
      logger.info(`${reason}: draining`);
      process.exit((await stopAll(running, logger)) ? 0 : 1);
    })();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopSignal) {
      logger.error(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    stopSignal = signal;
    // SIGTERM is a restart (rolling, by an orchestrator): the windows are left for the consoles
    // to resume elsewhere within the TTL. SIGINT (Ctrl-C) ends them at once, telling watchers.
    running.handOver = signal === 'SIGTERM';
    if (running.server) shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const checkpoint = () => {
    if (stopSignal) throw new StopRequested();
  };

  try {
    if (!config.databaseUrl) {
      running.embedded = await startEmbeddedPostgres(config.dataDir, logger);
      checkpoint();
    }
    const databaseUrl = config.databaseUrl ?? (running.embedded as EmbeddedPostgres).url;

    // Migrations, SQL definitions and the first organization, before the server takes traffic.
    const setup = createDataSource({ url: databaseUrl, logger, poolSize: 2 });
    await setup.initialize();
    let created: Awaited<ReturnType<OrganizationService['bootstrap']>>;
    try {
      await migrate(setup);
      checkpoint();
      created = await new OrganizationService(
        new UnitOfWork(setup, new InProcessPubSub(), logger),
      ).bootstrap(config.adminEmail, config.adminPassword);
    } finally {
      await setup.destroy();
    }
    checkpoint();

    running.server = await startServer({ config, databaseUrl, logger });
    checkpoint();
    printWelcome(running.server, running.embedded, config.dataDir, created);
  } catch (error) {
    if (error instanceof StopRequested) return shutdown(`${stopSignal} while starting`);
    await stopAll(running, logger);
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`[tandem] ${error.message}`);
  else console.error('[tandem] failed to start', error);
  process.exit(1);
});
