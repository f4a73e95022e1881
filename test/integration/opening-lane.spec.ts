/**
 * Issue 19, item 5 (reconnect storm): socket openings queue for a share of the pool
 * (src/db/opening-lane.ts) instead of filling the pool's queue, where its connection wait
 * refused them and held up everything else. On a real Postgres, a pool of four, a lane of two.
 */
import { Pool } from 'pg';
import { isDatabaseUnavailable } from '../../src/db/errors';
import { OpeningAbandonedError, OpeningLane } from '../../src/db/opening-lane';
import { createTestDatabase, type TestDatabase } from '../support/database';

const SLEEP = 'SELECT pg_sleep(0.05)';

describe('the opening lane (issue 19, item 5)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let lane: OpeningLane;
  /** A pool without the lane, for comparison and to look at Postgres from outside. */
  let plain: Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    // A short connection wait, as a storm makes the pool's 5 s short.
    pool = new Pool({ connectionString: database.url, max: 4, connectionTimeoutMillis: 300 });
    lane = new OpeningLane(2, 10_000);
    plain = new Pool({ connectionString: database.url, max: 6, connectionTimeoutMillis: 300 });
  });
  afterAll(async () => {
    await Promise.all([pool.end(), plain.end()]);
    await database.drop();
  });

  const opening = (step: 'connect' | 'subscribe' = 'connect', abandoned = () => false) =>
    lane.run(step, abandoned, () => pool.query(SLEEP));

  it('19.5 sixty openings at once all run, two at a time in Postgres, where the same burst straight on the pool has the pool refuse most (its wait times out)', async () => {
    const bare = new Pool({ connectionString: database.url, max: 4, connectionTimeoutMillis: 300 });
    const direct = await Promise.allSettled(Array.from({ length: 60 }, () => bare.query(SLEEP)));
    await bare.end();
    const refused = direct.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(20);
    expect(refused.every((r) => isDatabaseUnavailable((r as PromiseRejectedResult).reason))).toBe(
      true,
    );

    let sampling = true;
    let most = 0;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await plain.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND query = $1 AND state = 'active'`,
          [SLEEP],
        );
        most = Math.max(most, rows[0]?.n ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => opening()));
    sampling = false;
    await sampler;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
  }, 30_000);

  it('19.5 while the lane is full and openings queue, other work takes the pool connections left at once', async () => {
    const storm = Array.from({ length: 40 }, () => opening());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lane.queued).toBeGreaterThan(0);
    const started = performance.now();
    await pool.query('SELECT 1');
    expect(performance.now() - started).toBeLessThan(200);
    expect(lane.queued).toBeGreaterThan(0); // it did not wait for the storm
    await Promise.all(storm);
  }, 30_000);

  it("19.5 a console already acknowledged (its subscriptions' reads) goes before new consoles' authentications; an opening whose socket closed while it queued is skipped", async () => {
    /** The order in which the openings got their connection. */
    const order: string[] = [];
    const granted = (step: 'connect' | 'subscribe', name: string) =>
      lane.run(
        step,
        () => false,
        async () => {
          const client = await pool.connect();
          order.push(name);
          try {
            await client.query(SLEEP);
          } finally {
            client.release();
          }
        },
      );
    const busy = [opening(), opening()]; // the lane's two slots
    const connects = Array.from({ length: 3 }, (_, i) => granted('connect', `connect ${i}`));
    const subscribes = Array.from({ length: 3 }, (_, i) => granted('subscribe', `subscribe ${i}`));
    let ran = false;
    const gone = lane.run(
      'subscribe',
      () => true,
      () => pool.query(SLEEP).then(() => (ran = true)),
    );
    await expect(gone).rejects.toBeInstanceOf(OpeningAbandonedError);
    await Promise.all([...busy, ...connects, ...subscribes]);
    expect(ran).toBe(false);
    expect(order).toEqual([
      'subscribe 0',
      'subscribe 1',
      'subscribe 2',
      'connect 0',
      'connect 1',
      'connect 2',
    ]);
    expect(isDatabaseUnavailable(new OpeningAbandonedError())).toBe(true);
  }, 30_000);
});
