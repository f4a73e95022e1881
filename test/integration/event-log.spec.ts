import { Client } from 'pg';
import { UnitOfWork } from '../../src/db/unit-of-work';
import { createLogger } from '../../src/logger';
import { appendEvents, pruneEventLog } from '../../src/db/event-store';
import { eventually, newOrg } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

describe('the event log', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('hands out consecutive sequence numbers per stream, in the order the events happened', async () => {
    const org = await newOrg(server);
    const events = await server.dataSource.transaction((manager) =>
      appendEvents(manager, [
        { stream: 'test:b', org: org.id, payload: { n: 1 } },
        { stream: 'test:a', org: org.id, payload: { n: 2 } },
        { stream: 'test:b', org: org.id, payload: { n: 3 } },
      ]),
    );
    expect(events.map((e) => [e.stream, e.seq, e.payload.n])).toEqual([
      ['test:a', 1, 2],
      ['test:b', 1, 1],
      ['test:b', 2, 3],
    ]);
  });

  it("logs a transaction's events in its last statement: its streams are not held while it works", async () => {
    const org = await newOrg(server);
    const stream = `test:late:${org.id}`;
    await server.dataSource.transaction((manager) =>
      appendEvents(manager, [{ stream, org: org.id, payload: {} }]),
    );
    let emitted!: () => void;
    let finish!: () => void;
    const emittedNow = new Promise<void>((resolve) => (emitted = resolve));
    const uow = new UnitOfWork(server.dataSource, server.pubsub, createLogger('silent'));
    const working = uow.run(async (tx) => {
      tx.emit(stream, org.id, { n: 2 });
      emitted();
      await new Promise<void>((resolve) => (finish = resolve));
    });
    await emittedNow;
    // Another writer of the stream is not kept waiting by a transaction still at work.
    const other = new Client({ connectionString: server.database.url });
    await other.connect();
    try {
      const { rows } = await other.query(
        'SELECT last_seq FROM stream_seq WHERE stream = $1 FOR UPDATE NOWAIT',
        [stream],
      );
      expect(rows).toEqual([{ last_seq: '1' }]);
    } finally {
      await other.end();
    }
    finish();
    await working;
    const [{ last_seq }] = await server.dataSource.query(
      'SELECT last_seq FROM stream_seq WHERE stream = $1',
      [stream],
    );
    expect(last_seq).toBe('2');
  });

  it('commits a transaction with its events logged in order, and publishes them once committed', async () => {
    const org = await newOrg(server);
    const stream = `test:commit:${org.id}`;
    const uow = new UnitOfWork(server.dataSource, server.pubsub, createLogger('silent'));
    const received: unknown[] = [];
    const subscription = await server.pubsub.subscribe(stream, (event) => received.push(event));
    try {
      await uow.run(async (tx) => {
        await tx.manager.query(`UPDATE organization SET name = 'Committed' WHERE id = $1`, [
          org.id,
        ]);
        tx.emit(stream, org.id, { n: 1 });
        tx.emit(stream, org.id, { n: 2 });
      });
      const [row] = await server.dataSource.query('SELECT name FROM organization WHERE id = $1', [
        org.id,
      ]);
      expect(row.name).toBe('Committed');
      await eventually(() => received.length === 2);
      expect(received).toMatchObject([
        { stream, seq: 1, payload: { n: 1 } },
        { stream, seq: 2, payload: { n: 2 } },
      ]);
    } finally {
      server.pubsub.unsubscribe(subscription);
    }
  });

  it('rolls back everything when the append fails, and its connection goes back to the pool clean', async () => {
    const org = await newOrg(server);
    const uow = new UnitOfWork(server.dataSource, server.pubsub, createLogger('silent'));
    const failing = uow.run(async (tx) => {
      await tx.manager.query(`UPDATE organization SET name = 'Never' WHERE id = $1`, [org.id]);
      tx.emit(`test:failing:${org.id}`, 'not an organization id', {});
    });
    await expect(failing).rejects.toThrow(/uuid/);
    const [row] = await server.dataSource.query('SELECT name FROM organization WHERE id = $1', [
      org.id,
    ]);
    expect(row.name).not.toBe('Never');
    // Every pooled connection (10) serves a transaction of its own afterwards.
    for (let i = 0; i < 12; i++)
      await uow.run(async (tx) => {
        const [state] = await tx.manager.query('SELECT now() = statement_timestamp() AS fresh');
        expect(state.fresh).toBe(false); // inside a transaction begun before this statement
      });
  });

  it('forgets events older than the retention, keeps the rest and the sequence', async () => {
    const org = await newOrg(server);
    const [old, recent] = await server.dataSource.transaction((manager) =>
      appendEvents(manager, [
        { stream: 'test:prune', org: org.id, payload: { n: 1 } },
        { stream: 'test:prune', org: org.id, payload: { n: 2 } },
      ]),
    );
    await server.dataSource.query(
      `UPDATE event_log SET at = now() - interval '4 days' WHERE stream = $1 AND seq = $2`,
      ['test:prune', old!.seq],
    );
    expect(await pruneEventLog(server.dataSource, 72)).toBeGreaterThanOrEqual(1);
    const left = await server.dataSource.query('SELECT seq FROM event_log WHERE stream = $1', [
      'test:prune',
    ]);
    expect(left.map((row: { seq: string }) => Number(row.seq))).toEqual([recent!.seq]);
    const [next] = await server.dataSource.transaction((manager) =>
      appendEvents(manager, [{ stream: 'test:prune', org: org.id, payload: {} }]),
    );
    expect(next?.seq).toBe(3);
  });

  it('numbers the events an instance that went away left unnumbered, and leaves a live sequencer its fresh ones', async () => {
    const org = await newOrg(server);
    const left = `test:left:${org.id}`;
    const fresh = `test:fresh:${org.id}`;
    const pend = (stream: string, age: string) =>
      server.dataSource.query(
        `INSERT INTO event_pending (stream, organization_id, payload, at)
         VALUES ($1, $2, '{}', now() - $3::interval)`,
        [stream, org.id, age],
      );
    const pending = async () =>
      (
        (await server.dataSource.query(
          'SELECT stream FROM event_pending WHERE stream = ANY($1) ORDER BY id',
          [[left, fresh]],
        )) as Array<{ stream: string }>
      ).map((row) => row.stream);
    // Only a fresh one (its time a little ahead, so that no sweep of the server's own takes it
    // meanwhile): its own instance numbers it any moment now, no sweeper takes it.
    await pend(fresh, '-5 seconds');
    await server.services.locks.sweep();
    expect(await pending()).toEqual([fresh]);
    // Its instance went away two seconds ago, before that fresh event was logged.
    await server.dataSource.query(
      `UPDATE event_pending SET at = now() - interval '2 seconds' WHERE stream = $1`,
      [fresh],
    );
    await pend(left, '1.5 seconds');
    await pend(fresh, '0 seconds');
    await server.services.locks.sweep();
    expect(await pending()).toEqual([]);
    const logged = await server.dataSource.query(
      'SELECT stream, seq FROM event_log WHERE stream = ANY($1) ORDER BY stream, seq',
      [[left, fresh]],
    );
    expect(
      logged.map((row: { stream: string; seq: string }) => [row.stream, Number(row.seq)]),
    ).toEqual([
      [fresh, 1],
      [fresh, 2],
      [left, 1],
    ]);
  });
});
