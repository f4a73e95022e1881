import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { definitionDrift, nonDdlObjects } from '../../scripts/definition-drift';
import { createDataSource } from '../../src/db/data-source';
import { migrate, revertLastMigration } from '../../src/db/migrate';
import { loadSqlDefinitions } from '../../src/db/sql-definitions';
import { Streams, type StreamRecord } from '../../src/subscriptions/topics';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testPostgresUrl } from '../support/env';

/** A database with nothing in it (not a copy of the migrated template). */
async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = `tandem_empty_${randomBytes(5).toString('hex')}`;
  const admin = new Client({
    connectionString: new URL('/postgres', testPostgresUrl()).toString(),
  });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: new URL(`/${name}`, testPostgresUrl()).toString(),
    drop: async () => {
      const dropper = new Client({
        connectionString: new URL('/postgres', testPostgresUrl()).toString(),
      });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

async function withDataSource<T>(
  database: TestDatabase,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = createDataSource({ url: database.url, poolSize: 2 });
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

const drift = (dataSource: DataSource) =>
  definitionDrift((sql, parameters) => dataSource.query(sql, parameters), loadSqlDefinitions());

describe('SQL definitions', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => database.drop());

  it('a database migrated from scratch holds exactly its definition files, and nothing is left to apply', async () => {
    await withDataSource(database, async (dataSource) => {
      expect(await drift(dataSource)).toEqual([]);
      expect(await migrate(dataSource)).toEqual({ migrations: [], definitions: [] });
    });
  });

  it("an extension's functions (pg_trgm's, which customer search uses) are not definitions of ours", async () => {
    await withDataSource(database, async (dataSource) => {
      const [row] = (await dataSource.query(
        `SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'similarity'`,
      )) as Array<{ n: number }>;
      expect(row?.n).toBe(1);
      expect(await drift(dataSource)).toEqual([]);
    });
  });

  it('the versioned migrations make tables, columns, indexes and constraints only', async () => {
    await withDataSource(database, async (dataSource) => {
      await revertLastMigration(dataSource);
      await dataSource.runMigrations();
      expect(await nonDdlObjects((sql, parameters) => dataSource.query(sql, parameters))).toEqual(
        [],
      );
    });
  });

  it('the drift check names a function whose text is not its file, and one no file declares', async () => {
    await withDataSource(database, async (dataSource) => {
      await dataSource.query(`CREATE OR REPLACE FUNCTION tandem_iso(ts timestamptz) RETURNS text
        LANGUAGE sql STABLE AS $$ SELECT ts::text $$`);
      await dataSource.query(
        'CREATE FUNCTION tandem_stray() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$',
      );
      expect(await drift(dataSource)).toEqual([
        'function tandem_iso in the database differs from db/json.sql',
        'function tandem_stray is in the database but in no definition file',
      ]);
    });
  });

  it('a changed file is applied again, and what no file defines any more is dropped', async () => {
    await withDataSource(database, async (dataSource) => {
      await dataSource.query(`CREATE OR REPLACE FUNCTION tandem_iso(ts timestamptz) RETURNS text
        LANGUAGE sql STABLE AS $$ SELECT ts::text $$`);
      await dataSource.query(
        'CREATE FUNCTION tandem_stray() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$',
      );
      // As if db/json.sql had changed since this database recorded it.
      await dataSource.query(`UPDATE sql_definition SET checksum = 'older' WHERE file = $1`, [
        'db/json.sql',
      ]);
      const report = await migrate(dataSource);
      expect(report.migrations).toEqual([]);
      expect(report.definitions).toEqual(loadSqlDefinitions().map((d) => d.file));
      expect(await drift(dataSource)).toEqual([]);
    });
  });

  it('two instances migrating an empty database at once take turns: one applies, the other finds it done', async () => {
    const empty = await createEmptyDatabase();
    try {
      await withDataSource(empty, (first) =>
        withDataSource(empty, async (second) => {
          const reports = await Promise.all([migrate(first), migrate(second)]);
          const applied = reports.filter((report) => report.migrations.length > 0);
          expect(applied).toHaveLength(1);
          expect(reports).toContainEqual({ migrations: [], definitions: [] });
          expect(await drift(first)).toEqual([]);
        }),
      );
    } finally {
      await empty.drop();
    }
  });

  it('refuses a database migrated before the migrations were squashed', async () => {
    await withDataSource(database, async (dataSource) => {
      await dataSource.query(
        `INSERT INTO migration (timestamp, name) VALUES (1795553834378, 'Initial1795553834378')`,
      );
      await expect(migrate(dataSource)).rejects.toThrow(/Initial1795553834378.*recreate it/);
    });
  });
});

describe('stream names', () => {
  /** How the SQL that logs events names each stream: tandem_stream(org, record, id, topic). */
  const sqlShapes: Record<keyof typeof Streams, [StreamRecord, string]> = {
    inboxConversations: ['inbox', 'conversations'],
    inboxLocks: ['inbox', 'locks'],
    customerHelpers: ['customer', 'helpers'],
    staffHelping: ['staff', 'helping'],
    staffAssignments: ['staff', 'assignments'],
    staffAssist: ['staff', 'assist'],
    staffNotifications: ['staff', 'notifications'],
    staffSupervision: ['staff', 'supervision'],
    staffMessages: ['staff', 'messages'],
    staffChat: ['staff', 'chat'],
  };
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('tandem_stream (SQL) builds every stream name as Streams (topics.ts) does', async () => {
    const organizationId = randomUUID();
    const recordId = randomUUID();
    await withDataSource(database, async (dataSource) => {
      for (const [name, [record, topic]] of Object.entries(sqlShapes)) {
        const [row] = (await dataSource.query('SELECT tandem_stream($1, $2, $3, $4) AS stream', [
          organizationId,
          record,
          recordId,
          topic,
        ])) as Array<{ stream: string }>;
        expect([name, row?.stream]).toEqual([
          name,
          Streams[name as keyof typeof Streams](organizationId, recordId),
        ]);
      }
    });
    expect(Object.keys(sqlShapes).sort()).toEqual(Object.keys(Streams).sort());
  });
});
