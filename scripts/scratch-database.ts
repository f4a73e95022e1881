import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { createLogger } from '../src/logger';

/**
 * A throwaway database for tools (drift check, migration generation): on DATABASE_URL's server
 * when set, else on an embedded cluster of its own under .data/tools.
 */
export async function withScratchDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const logger = createLogger('error');
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(path.resolve('.data/tools'), logger, {
        extraFlags: ['-c', 'fsync=off'],
      });
  const serverUrl = new URL(process.env.DATABASE_URL ?? (embedded as { url: string }).url);
  const name = `tandem_scratch_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: new URL('/postgres', serverUrl).toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    return await fn(new URL(`/${name}`, serverUrl).toString());
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
  }
}
