import type { DataSource } from 'typeorm';
import type { QueryRunner } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { clientOf, markTransactionEnded, poolOf } from '../../src/db/typeorm-adapter';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('the TypeORM adapter (what Tandem relies on inside its Postgres driver)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, poolSize: 3 });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE adapter_check (n integer)');
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('poolOf answers the pg pool the data source runs on', async () => {
    const pool = poolOf(dataSource);
    expect(pool.options.max).toBe(3);
    const { rows } = await pool.query<{ TimeZone: string }>('SHOW TimeZone');
    expect(rows).toEqual([{ TimeZone: 'UTC' }]);
  });

  it('clientOf answers the connection of the runner’s transaction', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const [viaRunner] = await runner.query(
        'SELECT pg_backend_pid() AS pid, txid_current() AS tx',
      );
      const { rows } = await (
        await clientOf(runner)
      ).query('SELECT pg_backend_pid() AS pid, txid_current() AS tx');
      expect(rows[0]).toEqual(viaRunner);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
  });

  it('a runner told its transaction ended by a COMMIT sent on its client releases without a rollback and starts its next one afresh', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('INSERT INTO adapter_check (n) VALUES (1)');
      await (await clientOf(runner)).query('COMMIT');
      markTransactionEnded(runner);
      expect(runner.isTransactionActive).toBe(false);
      // A fresh transaction (with TypeORM still counting one, this would be a SAVEPOINT and fail).
      await runner.startTransaction();
      await runner.query('INSERT INTO adapter_check (n) VALUES (2)');
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    const rows = await dataSource.query('SELECT n FROM adapter_check ORDER BY n');
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('fails loudly when TypeORM’s bookkeeping is not what it relies on', () => {
    expect(() => markTransactionEnded({} as QueryRunner)).toThrow(/TypeORM no longer has/);
    expect(() => poolOf({ driver: {} } as DataSource)).toThrow(/TypeORM no longer has/);
  });

  it('reads times through the installed parser, as the Dates Postgres means', async () => {
    const [row] = await dataSource.query(
      `SELECT timestamptz '2026-11-24 21:24:00.123+00' AS at, timestamptz '2026-11-24 23:24:00.5+02' AS other`,
    );
    expect(row.at).toEqual(new Date('2026-11-24T21:24:00.123Z'));
    expect(row.other).toEqual(new Date('2026-11-24T21:24:00.500Z'));
  });
});
