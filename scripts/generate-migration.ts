import { writeFileSync } from 'node:fs';
import { createDataSource } from '../src/db/data-source';
import { migrate } from '../src/db/migrate';
import { withScratchDatabase } from './scratch-database';

/**
 * `npm run migration:generate -- Name`: writes migrations/<timestamp>-<name>.ts with the SQL
 * that brings the migrated schema to the entities. Review it, then add it to migrations/index.ts.
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
    throw new Error('usage: npm run migration:generate -- PascalCaseName');
  }
  await withScratchDatabase(async (url) => {
    const dataSource = createDataSource({ url });
    await dataSource.initialize();
    await migrate(dataSource);
    const sql = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    if (sql.upQueries.length === 0) {
      console.log('entities and migrations agree: nothing to generate');
      return;
    }
    const timestamp = Date.now();
    const className = `${name}${timestamp}`;
    const line = (q: { query: string }) =>
      `    await runner.query(\`${q.query.replace(/[`\\]|\$\{/g, (m) => `\\${m}`)}\`);`;
    const file = `migrations/${timestamp}-${name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.ts`;
    writeFileSync(
      file,
      `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(runner: QueryRunner): Promise<void> {
${sql.upQueries.map(line).join('\n')}
  }

  async down(runner: QueryRunner): Promise<void> {
${[...sql.downQueries].reverse().map(line).join('\n')}
  }
}
`,
    );
    console.log(`wrote ${file} (${className}); add it to migrations/index.ts`);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
