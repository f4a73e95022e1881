import 'reflect-metadata';
import { ConfigError, loadConfig, SECRETS_KEY_REQUIRED } from './config';
import { createDataSource } from './db/data-source';
import { migrate } from './db/migrate';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { createLogger, type Logger } from './logger';
import { startServer, type TandemServer } from './server';
import { OrganizationService } from './services/organization/organization.service';
import { UnitOfWork } from './db/unit-of-work';
import { InProcessPubSub } from './subscriptions/pubsub';
import { requirePortFree, startUpFailureLine } from './start-up';
import { loadOrCreateKeyFile } from './services/provider/secrets';

/** What is running so far; shutdown stops it in reverse order. */
interface Running {
  embedded?: EmbeddedPostgres;
  server?: TandemServer;
}

class StopRequested extends Error {}

async function stopAll(running: Running, logger: Logger): Promise<boolean> {
  let clean = true;
  for (const [what, stop] of [
    ['server', () => running.server?.stop()],
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

/**
 * The first ADMIN's credentials, printed as soon as they exist (before the server listens), so
 * that a start failing later never loses a generated password.
 */
function printCreated(created: { email: string; password: string | null }): void {
  console.log(
    [
      `First start: created an organization and its ADMIN.`,
      `    email:    ${created.email}`,
      `    password: ${created.password ?? '(ADMIN_PASSWORD)'}${created.password ? '   <- shown once, keep it' : ''}`,
    ].join('\n'),
  );
}

function printWelcome(
  server: TandemServer,
  embedded: EmbeddedPostgres | undefined,
  dataDir: string,
  awaitingSignIn: string | null,
): void {
  const lines = [
    `Tandem is ready.`,
    `  GraphQL (and playground):  ${server.url}`,
    `  Subscriptions (graphql-ws): ${server.wsUrl}`,
    `  Database: ${embedded ? `embedded PostgreSQL in ${dataDir}` : 'DATABASE_URL'}; events: ${server.pubsub.kind}`,
  ];
  if (awaitingSignIn) {
    lines.push(
      `  The first ADMIN (${awaitingSignIn}) has never signed in. Its password was printed on the`,
      `  first start; if it is lost:  npx tandem staff reset-password --email ${awaitingSignIn}`,
    );
  }
  lines.push(`  Sign in: mutation { signIn(input: {email: "...", password: "..."}) { token } }`);
  lines.push(`  then send the header  Authorization: Bearer <token>`);
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const config = loadConfig();
  // Before anything starts: instances sharing a database must share the key that seals secrets.
  if (config.databaseUrl && !config.secretsKey) throw new ConfigError(SECRETS_KEY_REQUIRED);
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
      const clean = await stopAll(running, logger);
      logger.info(clean ? 'drained: stopped cleanly' : 'drained, with errors (above)');
      process.exit(clean ? 0 : 1);
    })();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopSignal) {
      logger.error(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    stopSignal = signal;
    if (running.server) shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const checkpoint = () => {
    if (stopSignal) throw new StopRequested();
  };

  try {
    // Before anything is created: a start that cannot listen must not make the first ADMIN.
    await requirePortFree(config.port, config.host);
    if (!config.databaseUrl) {
      running.embedded = await startEmbeddedPostgres(config.dataDir, logger);
      checkpoint();
    }
    const databaseUrl = config.databaseUrl ?? (running.embedded as EmbeddedPostgres).url;
    config.secretsKey ??= await loadOrCreateKeyFile(config.dataDir);

    // Migrations, SQL definitions and the first organization, before the server takes traffic.
    const setup = createDataSource({ url: databaseUrl, logger, poolSize: 2 });
    await setup.initialize();
    let awaitingSignIn: string | null = null;
    try {
      await migrate(setup);
      checkpoint();
      const organizations = new OrganizationService(
        new UnitOfWork(setup, new InProcessPubSub(), logger),
      );
      const created = await organizations.bootstrap(config.adminEmail, config.adminPassword);
      if (created) printCreated(created);
      else if (!config.adminPassword)
        awaitingSignIn = await organizations.firstAdminAwaitingSignIn();
    } finally {
      await setup.destroy();
    }
    checkpoint();

    running.server = await startServer({ config, databaseUrl, logger });
    checkpoint();
    printWelcome(running.server, running.embedded, config.dataDir, awaitingSignIn);
  } catch (error) {
    if (error instanceof StopRequested) return shutdown(`${stopSignal} while starting`);
    await stopAll(running, logger);
    // One line naming the cause; the stack only when asked for.
    console.error(`[tandem] cannot start: ${startUpFailureLine(error, config.port, config.host)}`);
    if (config.logLevel === 'debug') console.error(error);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  // Only the configuration can fail before main's own handler (it is read first).
  if (error instanceof ConfigError) console.error(`[tandem] ${error.message}`);
  else console.error(`[tandem] cannot start: ${startUpFailureLine(error, 0, '')}`);
  process.exit(1);
});
