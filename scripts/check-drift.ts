import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createDataSource } from '../src/db/data-source';
import { printTandemSchema } from './emit-schema';
import { withScratchDatabase } from './scratch-database';

/**
 * Fails when what is committed no longer matches the code: schema.graphql, the generated test
 * operations, or the migrations (entities that need a migration nobody wrote).
 */
async function main(): Promise<void> {
  const problems: string[] = [];

  if (readFileSync('schema.graphql', 'utf8') !== (await printTandemSchema())) {
    problems.push('schema.graphql is stale: run `npm run schema`');
  }

  const codegen = spawnSync('npx', ['graphql-codegen', '--config', 'codegen.yml', '--check'], {
    encoding: 'utf8',
  });
  if (codegen.status !== 0) {
    problems.push(
      `test/generated is stale or an operation does not fit the schema: run \`npm run codegen\`\n${codegen.stdout}${codegen.stderr}`,
    );
  }

  await withScratchDatabase(async (url) => {
    const dataSource = createDataSource({ url, poolSize: 1 });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const pending = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    if (pending.upQueries.length) {
      problems.push(
        `the entities need a migration: run \`npm run migration:generate -- Name\`\n` +
          pending.upQueries.map((q) => `  ${q.query}`).join('\n'),
      );
    }
  });

  if (problems.length) {
    console.error(problems.map((p) => `drift: ${p}`).join('\n'));
    process.exit(1);
  }
  console.log('drift: schema.graphql, test/generated and migrations are up to date');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
