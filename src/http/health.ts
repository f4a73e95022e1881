import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import type { PubSubEngine } from '../subscriptions/pubsub';

/** /healthz: the process answers. /readyz: it can reach Postgres and its PubSub. */
export function mountHealth(app: Express, dataSource: DataSource, pubsub: PubSubEngine): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([dataSource.query('SELECT 1'), pubsub.ping()]);
    const [database, events] = checks.map((check) =>
      check.status === 'fulfilled' ? 'ok' : 'unreachable',
    );
    const ready = database === 'ok' && events === 'ok';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', database, pubsub: events });
  });
}
