import type { DataSource } from 'typeorm';
import { inBackground } from './data-source';

/** What an operator watches in the database, as `/metrics` shows it. */
export interface OperationalGauges {
  pendingEvents: number;
  oldestPendingSeconds: number;
  queues: Array<{ organization: string; inbox: string; depth: number; oldestSeconds: number }>;
}

/** A scrape waits this long for the database, then answers without its gauges. */
const GAUGES_TIMEOUT_MS = 2000;

/**
 * One statement, read when Prometheus scrapes (never per event): the sequencer's lag (events
 * committed on their own statement and not yet numbered, `event_pending`) and each inbox's
 * queue (the partial index `idx_conversation_queue` answers it). Every inbox is listed, an empty
 * queue as 0, so that a graph shows 0 rather than nothing.
 *
 * Hooks for what is not on main yet: a campaign's queue (per campaign, as inboxes are here) and
 * the outbox / job-queue depth (graphile-worker's `jobs` view) go in this statement as further
 * columns, and in `Metrics.readDatabase` as gauges.
 */
const GAUGES_SQL = `
  SELECT
    (SELECT count(*) FROM event_pending)::int AS pending_events,
    (SELECT coalesce(extract(epoch FROM now() - min(at)), 0) FROM event_pending)::float8
      AS oldest_pending_seconds,
    (SELECT coalesce(json_agg(q), '[]'::json) FROM (
       SELECT i.organization_id AS organization, i.id AS inbox, count(c.id)::int AS depth,
              coalesce(extract(epoch FROM now() - min(c.queued_at)), 0)::float8 AS "oldestSeconds"
         FROM inbox i
         LEFT JOIN conversation c
           ON c.inbox_id = i.id AND c.status = 'OPEN' AND c.assignee_id IS NULL
          AND c.queued_at IS NOT NULL AND c.deleted_at IS NULL
        GROUP BY i.id) q) AS queues`;

export async function readOperationalGauges(dataSource: DataSource): Promise<OperationalGauges> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the database did not answer')), GAUGES_TIMEOUT_MS);
  });
  try {
    const rows = (await Promise.race([
      inBackground(() => dataSource.query(GAUGES_SQL)),
      timeout,
    ])) as Array<{
      pending_events: number;
      oldest_pending_seconds: number;
      queues: OperationalGauges['queues'];
    }>;
    const row = rows[0];
    if (!row) throw new Error('no row');
    return {
      pendingEvents: row.pending_events,
      oldestPendingSeconds: row.oldest_pending_seconds,
      queues: row.queues,
    };
  } finally {
    clearTimeout(timer);
  }
}
