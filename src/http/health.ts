import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import type { PubSubEngine } from '../subscriptions/pubsub';

/** Each readiness check gets this long: a load balancer's probe is answered within a second. */
export const READINESS_TIMEOUT_MS = 800;

/** Resolves with `check`, or rejects once `ms` have passed. */
async function within(check: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check,
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz: the process answers. /readyz: it can reach Postgres and its PubSub now (503 when
 * either is unreachable or slower than READINESS_TIMEOUT_MS), and is not draining (503 from the
 * moment a SIGTERM arrives: a load balancer sends it nothing new).
 */
export function mountHealth(
  app: Express,
  dataSource: DataSource,
  pubsub: PubSubEngine,
  draining: () => boolean,
): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining()) {
      res.status(503).set('Retry-After', '1').json({ status: 'draining' });
      return;
    }
    const checks = await Promise.allSettled([
      within(dataSource.query('SELECT 1'), READINESS_TIMEOUT_MS),
      within(pubsub.ping(), READINESS_TIMEOUT_MS),
    ]);
    const [database, events] = checks.map((check) =>
      check.status === 'fulfilled' ? 'ok' : 'unreachable',
    );
    const ready = database === 'ok' && events === 'ok';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', database, pubsub: events });
  });
}
