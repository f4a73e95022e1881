import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config';
import { operatorAuth } from '../context/auth';
import { createDataSource } from '../db/data-source';
import { migrate } from '../db/migrate';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { UnitOfWork } from '../db/unit-of-work';
import { Role } from '../entities/enums';
import { Organization } from '../entities/organization.entity';
import { DomainError } from '../errors/domain-error';
import { createLogger } from '../logger';
import { ApiKeyService } from '../services/auth/api-key.service';
import { AuditService } from '../services/audit/audit.service';
import { OrganizationService } from '../services/organization/organization.service';
import { InProcessPubSub } from '../subscriptions/pubsub';
import { createServices } from '../services';
import { EventHub } from '../subscriptions/event-hub';
import { EventLogReader } from '../subscriptions/event-log';
import { Staff } from '../entities/staff.entity';
import { generatePassword } from '../services/auth/secrets';
import { normalizeEmail } from '../services/customer/contact-value';

/**
 * DATABASE_URL, or the embedded cluster of DATA_DIR (joining a running server's if any). The
 * schema is migrated first (as a server's start does), so that a command run before any start
 * works instead of failing on a missing table.
 */
async function withDatabase<T>(
  work: (dataSource: DataSource, uow: UnitOfWork, pubsub: InProcessPubSub) => Promise<T>,
  options: { migrateFirst?: boolean } = { migrateFirst: true },
): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'error' : config.logLevel, {
    stderr: true,
  });
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(config.dataDir, logger, { reuseRunning: true });
  // Events of what a command changes stay in this process: the running servers' subscribers
  // catch up from the event log; a revoked sign-in is refused there on its next request.
  const pubsub = new InProcessPubSub();
  const dataSource = createDataSource({
    url: config.databaseUrl ?? embedded!.url,
    poolSize: 2,
    logger,
  });
  try {
    await dataSource.initialize();
    if (options.migrateFirst) await migrate(dataSource);
    return await work(dataSource, new UnitOfWork(dataSource, pubsub, logger), pubsub);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

/** Agents are people who sign in: a key is never one. */
const API_KEY_ROLES = [Role.INTEGRATION, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN];

function apiKeyRole(value: string): Role {
  const upper = value.toUpperCase() as Role;
  if (!API_KEY_ROLES.includes(upper)) {
    throw new InvalidArgumentError(`Expected one of ${API_KEY_ROLES.join(', ')}.`);
  }
  return upper;
}

// Errors stay on one line (no help dump after them): operators read them in scripts and logs.
const program = new Command('tandem').description('Operate a Tandem installation');

program
  .command('migrate')
  .description('Apply the pending database migrations, then the SQL definitions that changed')
  .action(() =>
    withDatabase(
      async (dataSource) => {
        const { migrations, definitions } = await migrate(dataSource);
        const applied = [
          ...migrations,
          ...(definitions.length ? [`SQL definitions (${definitions.length} files)`] : []),
        ];
        console.log(applied.length ? `applied ${applied.join(', ')}` : 'no pending migration');
      },
      { migrateFirst: false },
    ),
  );

const org = program.command('org').description('Organizations (tenants)');
org
  .command('create')
  .description('Create an organization with its first ADMIN and a "General" inbox')
  .requiredOption('--name <name>', 'organization name')
  .requiredOption('--admin-email <email>', 'the ADMIN signs in with this email')
  .requiredOption('--admin-password <password>', 'at least 8 characters')
  .option('--admin-name <name>', 'display name of the ADMIN', 'Administrator')
  .action(
    (options: { name: string; adminEmail: string; adminPassword: string; adminName: string }) =>
      withDatabase(async (_dataSource, uow) => {
        const { organization, admin } = await new OrganizationService(uow).create({
          name: options.name,
          adminEmail: options.adminEmail,
          adminPassword: options.adminPassword,
          adminName: options.adminName,
        });
        console.log(`organization ${organization.id} "${organization.name}"; ADMIN ${admin.email}`);
      }),
  );

const apiKey = program.command('api-key').description('Partner API keys');
apiKey
  .command('create')
  .description('Create an API key; it is printed once')
  .requiredOption('--org <organizationId>', 'organization id')
  .requiredOption('--role <role>', API_KEY_ROLES.join(', '), apiKeyRole)
  .option('--name <name>', 'what the key is for', 'CLI key')
  .action((options: { org: string; role: Role; name: string }) =>
    withDatabase(async (dataSource, uow) => {
      if (
        !(await dataSource
          .getRepository(Organization)
          .existsBy({ id: options.org })
          .catch(() => false))
      ) {
        throw new ConfigError(`no organization ${options.org}`);
      }
      const { apiKey: created, key } = await new ApiKeyService(uow, new AuditService(uow)).create(
        operatorAuth(options.org),
        options.name,
        options.role,
      );
      console.log(`api key ${created.id} (${created.role}): ${key}`);
      console.log('keep it now: it is not shown again');
    }),
  );

const staff = program.command('staff').description('Staff members');
staff
  .command('reset-password')
  .description(
    "Give a staff member a new password (printed once unless given) and end their sign-ins: for a lost first ADMIN's password",
  )
  .requiredOption('--email <email>', 'the email they sign in with')
  .option('--org <organizationId>', 'the organization, when the email is used in several')
  .option(
    '--password <password>',
    'the new password (at least 8 characters); generated if left out',
  )
  .action((options: { email: string; org?: string; password?: string }) =>
    withDatabase(async (dataSource, uow, pubsub) => {
      const email = normalizeEmail(options.email, 'email');
      const matches = await dataSource.getRepository(Staff).find({
        where: { email, ...(options.org ? { organizationId: options.org } : {}) },
        select: { id: true, organizationId: true },
      });
      if (matches.length === 0) throw new ConfigError(`no staff member signs in with ${email}`);
      if (matches.length > 1) {
        throw new ConfigError(
          `${email} signs in to several organizations: add --org (one of ${matches.map((m) => m.organizationId).join(', ')})`,
        );
      }
      const [member] = matches as [Staff];
      const password = options.password ?? generatePassword();
      const logger = createLogger('error');
      const config = loadConfig();
      const services = createServices({
        uow,
        // Resetting a password reads no provider credential: without SECRETS_KEY (an embedded
        // installation keeps its key in DATA_DIR) a throwaway key lets the services be built.
        config: { ...config, secretsKey: config.secretsKey ?? randomBytes(32) },
        hub: new EventHub(pubsub, new EventLogReader(dataSource), logger),
        logger,
      });
      await services.staff.update(operatorAuth(member.organizationId), member.id, { password });
      console.log(
        options.password
          ? `password of ${email} reset; their sign-ins have ended`
          : `password of ${email} reset to: ${password}\nkeep it now: it is not shown again (their sign-ins have ended)`,
      );
    }),
  );

program.parseAsync().catch((error: unknown) => {
  // One line, whatever failed: operators read it in scripts and logs.
  const message = error instanceof Error ? error.message : String(error);
  if (
    !(error instanceof ConfigError || error instanceof DomainError) &&
    process.env.LOG_LEVEL === 'debug'
  )
    console.error(error);
  console.error(`tandem: ${message.split('\n')[0]}`);
  process.exit(1);
});
