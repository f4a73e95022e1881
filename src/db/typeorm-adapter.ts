import type { Pool, PoolClient } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * What Tandem relies on inside TypeORM's Postgres driver, in one place: the pg pool behind a data
 * source, the pg client behind a query runner, and the bookkeeping a runner keeps of its
 * transaction. Each is checked where it is read, so that a TypeORM upgrade that changes one fails
 * here, loudly, instead of somewhere downstream (test/integration/typeorm-adapter.spec.ts pins
 * them).
 */

class TypeOrmChanged extends Error {
  constructor(what: string) {
    super(`TypeORM no longer has ${what}: src/db/typeorm-adapter.ts must follow the upgrade`);
  }
}

/** The pg pool a data source's queries run on (prepared statements are sent straight to it). */
export function poolOf(dataSource: DataSource): Pool {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function')
    throw new TypeOrmChanged('its pg pool as PostgresDriver.master');
  return pool;
}

/** The pg client a query runner holds (connecting it first): the connection of its transaction. */
export async function clientOf(runner: QueryRunner): Promise<PoolClient> {
  const client = (await runner.connect()) as PoolClient | undefined;
  if (typeof client?.query !== 'function' || typeof client.escapeLiteral !== 'function')
    throw new TypeOrmChanged('a pg client as what PostgresQueryRunner.connect() answers');
  return client;
}

/**
 * Tells a query runner that its transaction ended by a COMMIT it did not send itself (UnitOfWork
 * sends the COMMIT in one message with the transaction's last statement), so that releasing it
 * does not roll back, and its next transaction starts afresh.
 */
export function markTransactionEnded(runner: QueryRunner): void {
  const bookkeeping = runner as unknown as {
    isTransactionActive?: unknown;
    transactionDepth?: unknown;
  };
  if (typeof bookkeeping.isTransactionActive !== 'boolean')
    throw new TypeOrmChanged('QueryRunner.isTransactionActive');
  if (typeof bookkeeping.transactionDepth !== 'number')
    throw new TypeOrmChanged('PostgresQueryRunner.transactionDepth');
  Object.assign(runner, { isTransactionActive: false, transactionDepth: 0 });
}
