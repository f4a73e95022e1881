import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** The columns of client_session that the lock functions (lock.sql) assign. */
function clientSessionColumnsWrittenByLocks(): string[] {
  const sql = readFileSync(path.resolve(__dirname, '../../src/services/lock/lock.sql'), 'utf8');
  const columns = new Set<string>();
  for (const [, assignments] of sql.matchAll(
    /UPDATE\s+client_session\s+(?:\w+\s+)?SET\s+([\s\S]*?)\s+WHERE/gi,
  ))
    for (const [, column] of (assignments as string).matchAll(/(?:^|,)\s*(\w+)\s*=/g))
      columns.add(column as string);
  return [...columns];
}

/**
 * How the lock operations' rows are stored, where it decides what an operation costs Postgres.
 * The rules themselves are pinned by test/realtime/locks.spec.ts.
 */
describe('lock storage', () => {
  let database: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  it("L8: opening and releasing a ticket write only columns of the window's row that no index covers (its update stays HOT)", async () => {
    // An index on one of them would make every lock operation add an entry to each index of
    // client_session (the sign-in token's unique index too, which every HTTP request searches).
    const written = clientSessionColumnsWrittenByLocks();
    expect(written).toEqual(expect.arrayContaining(['last_seen_at', 'inbox_id']));
    const { rows } = await client.query<{ definition: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index
        WHERE indrelid = 'client_session'::regclass`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { definition } of rows)
      for (const column of written) expect(definition).not.toMatch(new RegExp(`\\b${column}\\b`));
  });
});
