import { Client } from 'pg';

const TABLE = 'bench_claim_queue';

export interface ClaimRound {
  claims: number;
  elapsedMs: number;
  /** Claims per second. */
  rate: number;
  /** Rows claimed more than once (must be 0), and rows claimed (must equal `claims`). */
  doubleClaims: number;
  claimedRows: number;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh queue table of `rows` unclaimed rows, with a partial index on what is left to claim. */
export function prepareClaimQueue(url: string, rows: number): Promise<void> {
  return withClient(url, async (client) => {
    await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await client.query(
      `CREATE TABLE ${TABLE} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         payload text NOT NULL, claimed_by int, claimed_at timestamptz, claims int NOT NULL DEFAULT 0)`,
    );
    await client.query(
      `INSERT INTO ${TABLE} (payload) SELECT 'conversation ' || n FROM generate_series(1, $1) n`,
      [rows],
    );
    await client.query(`CREATE INDEX ${TABLE}_unclaimed ON ${TABLE} (id) WHERE claimed_by IS NULL`);
    await client.query(`ANALYZE ${TABLE}`);
  });
}

export function dropClaimQueue(url: string): Promise<void> {
  return withClient(url, async (client) => {
    await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  });
}

/**
 * The baseline: `workers` connections, each claiming the oldest unclaimed row in one statement
 * (`UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING`, autocommit),
 * over and over for `durationMs`. Then checks that no row was claimed twice.
 */
export async function runClaimLoop(
  url: string,
  { workers, durationMs }: { workers: number; durationMs: number },
): Promise<ClaimRound> {
  const clients = await Promise.all(
    Array.from({ length: workers }, async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  let claims = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1_000_000n;
  try {
    await Promise.all(
      clients.map(async (client, worker) => {
        while (process.hrtime.bigint() < deadline) {
          const { rowCount } = await client.query({
            name: 'claim',
            text: `UPDATE ${TABLE} SET claimed_by = $1, claimed_at = clock_timestamp(), claims = claims + 1
                    WHERE id = (SELECT id FROM ${TABLE} WHERE claimed_by IS NULL
                                 ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
                    RETURNING id`,
            values: [worker],
          });
          if (!rowCount) break; // the queue ran dry
          claims += 1;
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const [check] = await withClient(url, async (client) => {
    const { rows } = await client.query<{ doubles: number; claimed: number }>(
      `SELECT count(*) FILTER (WHERE claims > 1)::int AS doubles,
              count(*) FILTER (WHERE claimed_by IS NOT NULL)::int AS claimed FROM ${TABLE}`,
    );
    return rows;
  });
  return {
    claims,
    elapsedMs,
    rate: claims / (elapsedMs / 1000),
    doubleClaims: check?.doubles ?? Number.NaN,
    claimedRows: check?.claimed ?? Number.NaN,
  };
}
