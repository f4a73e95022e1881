import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { createDataSource } from '../../src/db/data-source';
import { migrate, revertLastMigration } from '../../src/db/migrate';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** What the migrations made: tables and our functions, by name. */
async function schemaObjects(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await dataSource.query(`
    SELECT 'table ' || table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_name <> 'migration'
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' AND p.proname LIKE 'tandem\\_%'
    UNION ALL
    SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'migration'
    ORDER BY 1`);
  return rows.map((r) => r.name);
}

describe('migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, poolSize: 1 });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('each one reverts, down to an empty schema, and they apply again to the same schema', async () => {
    const migrated = await schemaObjects(dataSource);
    expect(migrated).toContain('function tandem_append_events(jsonb)');

    for (let i = 0; i < MIGRATIONS.length; i += 1) await revertLastMigration(dataSource);
    expect(await schemaObjects(dataSource)).toEqual([]);

    await migrate(dataSource);
    expect(await schemaObjects(dataSource)).toEqual(migrated);
    expect(await dataSource.showMigrations()).toBe(false);
  });
});
