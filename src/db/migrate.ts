import { type DataSource, MigrationExecutor, type QueryRunner } from 'typeorm';
import { migrateJobQueue } from './job-queue';
import { DEFINED_PREFIX, loadSqlDefinitions, type SqlDefinition } from './sql-definitions';

/** What `migrate` changed: nothing when the database was current. */
export interface MigrationReport {
  /** Versioned migrations applied, in order. */
  migrations: string[];
  /** SQL definition files applied (all of them, whenever any changed or a migration ran). */
  definitions: string[];
}

/** Held for the whole of `migrate`: instances starting at once take turns, the later finds nothing to do. */
const MIGRATE_LOCK = 'tandem:migrate';

/**
 * Brings the database to this build: the pending versioned migrations (DDL), then the SQL
 * definitions when any file's checksum differs from the recorded one, or a migration ran. All
 * in one transaction under an advisory lock, so two instances starting at once cannot race and
 * a failure changes nothing. `npm start`, `npx tandem migrate`, the tests' template database and
 * the drift check all come here.
 *
 * graphile-worker's schema (the job queue) is installed or upgraded after that transaction: its
 * migrations run in transactions of their own, and are safe with instances starting at once.
 *
 * The definitions are dropped first and created again from their files: CREATE OR REPLACE could
 * not change a function's return type, nor remove a function a file no longer has. A migration
 * runs between the two, so none ever meets a definition (a table's row type, say, that a
 * function takes).
 */
export async function migrate(dataSource: DataSource): Promise<MigrationReport> {
  const definitions = loadSqlDefinitions();
  const report = await inMigrationTransaction(dataSource, async (runner, executor) => {
    const pending = await executor.getPendingMigrations();
    const recorded = await recordedChecksums(runner);
    const current =
      recorded.size === definitions.length &&
      definitions.every((definition) => recorded.get(definition.file) === definition.checksum);
    if (pending.length === 0 && current) return { migrations: [], definitions: [] };
    await dropSqlDefinitions(runner);
    const applied = await executor.executePendingMigrations();
    await applySqlDefinitions(runner, definitions);
    return {
      migrations: applied.map((migration) => migration.name),
      definitions: definitions.map((definition) => definition.file),
    };
  });
  await migrateJobQueue(dataSource);
  return report;
}

/**
 * Undoes the last migration (tests, and a developer going back). The SQL definitions are
 * dropped first and not applied again: they are written for the latest schema; `migrate` puts
 * them back.
 */
export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  await inMigrationTransaction(dataSource, async (runner, executor) => {
    await dropSqlDefinitions(runner);
    if (await hasDefinitionTable(runner)) await runner.query('DELETE FROM sql_definition');
    await executor.undoLastMigration();
  });
}

async function inMigrationTransaction<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner, executor: MigrationExecutor) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    await runner.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [MIGRATE_LOCK]);
    // Given our runner, which is in a transaction, the executor runs its migrations in it.
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'all';
    await requireKnownMigrations(dataSource, executor);
    const result = await work(runner, executor);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

/** A database migrated by migrations this build does not have (made before the squash) is refused. */
async function requireKnownMigrations(
  dataSource: DataSource,
  executor: MigrationExecutor,
): Promise<void> {
  const known = new Set(dataSource.migrations.map((migration) => migration.name));
  const unknown = (await executor.getExecutedMigrations())
    .map((migration) => migration.name)
    .filter((name) => !known.has(name));
  if (unknown.length) {
    throw new Error(
      `this database was migrated by migrations this version does not have (${unknown.join(', ')}): ` +
        'it predates the squash of the migrations into one baseline; recreate it ' +
        '(the embedded database: delete its DATA_DIR, ./.data by default)',
    );
  }
}

async function hasDefinitionTable(runner: QueryRunner): Promise<boolean> {
  const [row] = (await runner.query(
    `SELECT to_regclass('sql_definition') IS NOT NULL AS present`,
  )) as Array<{ present: boolean }>;
  return row?.present === true;
}

async function recordedChecksums(runner: QueryRunner): Promise<Map<string, string>> {
  if (!(await hasDefinitionTable(runner))) return new Map();
  const rows = (await runner.query('SELECT file, checksum FROM sql_definition')) as Array<{
    file: string;
    checksum: string;
  }>;
  return new Map(rows.map((row) => [row.file, row.checksum]));
}

/**
 * Drops every object the definitions create: views, then triggers bound to their functions, then
 * the functions. Without CASCADE: a column default, an index or a constraint that came to depend
 * on one (DDL must not) stops the migration loudly instead of vanishing with it.
 */
export async function dropSqlDefinitions(runner: QueryRunner): Promise<void> {
  const rows = (await runner.query(
    `SELECT format('DROP VIEW %s', c.oid::regclass) AS statement, 1 AS step
       FROM pg_class c
      WHERE c.relkind = 'v' AND c.relnamespace = current_schema()::regnamespace
        AND starts_with(c.relname, $1)
     UNION ALL
     SELECT format('DROP TRIGGER %I ON %s', t.tgname, t.tgrelid::regclass), 2
       FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE NOT t.tgisinternal AND p.pronamespace = current_schema()::regnamespace
        AND starts_with(p.proname, $1)
     UNION ALL
     SELECT format('DROP FUNCTION %s', p.oid::regprocedure), 3
       FROM pg_proc p
      WHERE p.pronamespace = current_schema()::regnamespace AND starts_with(p.proname, $1)
     ORDER BY step, statement`,
    [DEFINED_PREFIX],
  )) as Array<{ statement: string }>;
  for (const { statement } of rows) await runner.query(statement);
}

/** Creates every definition from its file, in order, and records what was applied. */
async function applySqlDefinitions(
  runner: QueryRunner,
  definitions: SqlDefinition[],
): Promise<void> {
  for (const definition of definitions) {
    try {
      await runner.query(definition.sql);
    } catch (error) {
      throw new Error(`${definition.file}: ${(error as Error).message}`, { cause: error });
    }
  }
  await runner.query('DELETE FROM sql_definition');
  await runner.query(
    'INSERT INTO sql_definition (file, checksum) SELECT * FROM unnest($1::text[], $2::text[])',
    [definitions.map((definition) => definition.file), definitions.map((d) => d.checksum)],
  );
}
