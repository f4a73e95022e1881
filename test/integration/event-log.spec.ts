import { appendEvent, pruneEventLog } from '../../src/subscriptions/event-log';
import { newOrg } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

describe('the event log', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('hands out consecutive sequence numbers per stream', async () => {
    const org = await newOrg(server);
    const events = await server.dataSource.transaction(async (manager) => [
      await appendEvent(manager, 'test:a', org.id, { n: 1 }),
      await appendEvent(manager, 'test:b', org.id, { n: 2 }),
      await appendEvent(manager, 'test:a', org.id, { n: 3 }),
    ]);
    expect(events.map((e) => [e.stream, e.seq])).toEqual([
      ['test:a', 1],
      ['test:b', 1],
      ['test:a', 2],
    ]);
  });

  it('forgets events older than the retention, keeps the rest and the sequence', async () => {
    const org = await newOrg(server);
    const [old, recent] = await server.dataSource.transaction(async (manager) => [
      await appendEvent(manager, 'test:prune', org.id, { n: 1 }),
      await appendEvent(manager, 'test:prune', org.id, { n: 2 }),
    ]);
    await server.dataSource.query(
      `UPDATE event_log SET at = now() - interval '4 days' WHERE stream = $1 AND seq = $2`,
      ['test:prune', old!.seq],
    );
    expect(await pruneEventLog(server.dataSource, 72)).toBeGreaterThanOrEqual(1);
    const left = await server.dataSource.query('SELECT seq FROM event_log WHERE stream = $1', [
      'test:prune',
    ]);
    expect(left.map((row: { seq: string }) => Number(row.seq))).toEqual([recent!.seq]);
    const next = await server.dataSource.transaction((manager) =>
      appendEvent(manager, 'test:prune', org.id, {}),
    );
    expect(next.seq).toBe(3);
  });
});
