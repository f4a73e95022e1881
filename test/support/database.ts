import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { templateDatabase, testPostgresUrl } from './env';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({
    connectionString: new URL('/postgres', testPostgresUrl()).toString(),
  });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** A fresh, migrated database of its own (a copy of the template): tests never share rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tandem_test_${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`));
  return {
    url: new URL(`/${name}`, testPostgresUrl()).toString(),
    drop: () =>
      withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
