import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { createDataSource } from '../src/db/data-source';
import { migrate } from '../src/db/migrate';
import { loadSqlDefinitions } from '../src/db/sql-definitions';
import { definitionDrift, nonDdlObjects } from './definition-drift';
import { printTandemSchema } from './emit-schema';
import { withScratchDatabase } from './scratch-database';

/**
 * Fails when what is committed no longer matches the code: schema.graphql, the generated test
 * operations, the migrations (entities that need a migration nobody wrote, a migration not
 * listed, a migration making more than DDL) or the SQL definitions (a database migrated from
 * scratch whose functions, triggers or views are not exactly their files).
 */
async function main(): Promise<void> {
  const problems: string[] = [];

  if (readFileSync('schema.graphql', 'utf8') !== (await printTandemSchema())) {
    problems.push('schema.graphql is stale: run `npm run schema`');
  }

  const codegen = spawnSync(
    process.execPath,
    ['-r', '@swc-node/register', 'scripts/codegen.ts', '--check'],
    { encoding: 'utf8' },
  );
  if (codegen.status !== 0) {
    problems.push(
      `test/generated is stale or an operation does not fit the schema: run \`npm run codegen\`\n${codegen.stdout}${codegen.stderr}`,
    );
  }

  await withScratchDatabase(async (url) => {
    const dataSource = createDataSource({ url, poolSize: 1 });
    await dataSource.initialize();
    try {
      const query: DataSource['query'] = (sql, parameters) => dataSource.query(sql, parameters);
      // The versioned migrations alone make tables, columns, indexes and constraints only.
      await dataSource.runMigrations({ transaction: 'all' });
      const made = await nonDdlObjects(query);
      if (made.length) {
        problems.push(
          `migrations hold DDL only; write these in a SQL definition file instead: ${made.join(', ')}`,
        );
      }
      // Then the definitions, as every start applies them: each object exactly its file's text.
      await migrate(dataSource);
      for (const problem of await definitionDrift(query, loadSqlDefinitions())) {
        problems.push(`SQL definitions: ${problem}`);
      }
      const pending = await dataSource.driver.createSchemaBuilder().log();
      if (pending.upQueries.length) {
        problems.push(
          `the entities need a migration: run \`npm run migration:generate -- Name\`\n` +
            pending.upQueries.map((q) => `  ${q.query}`).join('\n'),
        );
      }
    } finally {
      await dataSource.destroy();
    }
  });

  // A migration written but not listed would never run (classes end with their file's timestamp).
  const listed = MIGRATIONS.map((migration) => migration.name);
  for (const file of readdirSync('migrations')) {
    const timestamp = /^(\d+)-.*\.ts$/.exec(file)?.[1];
    if (timestamp && !listed.some((name) => name.endsWith(timestamp))) {
      problems.push(`migrations/${file} is not listed in migrations/index.ts`);
    }
  }

  if (problems.length) {
    console.error(problems.map((p) => `drift: ${p}`).join('\n'));
    process.exit(1);
  }
  console.log(
    'drift: schema.graphql, test/generated, migrations and SQL definitions are up to date',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
