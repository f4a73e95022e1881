import type { DataSource } from 'typeorm';
import { inBackground } from './data-source';
import { JOB_QUEUE_GAUGES_SQL } from './job-queue';

/** What an operator watches in the database, as `/metrics` shows it. */
export interface OperationalGauges {
  pendingEvents: number;
  oldestPendingSeconds: number;
  queues: Array<{ organization: string; inbox: string; depth: number; oldestSeconds: number }>;
  campaignQueues: Array<{
    organization: string;
    campaign: string;
    depth: number;
    oldestSeconds: number;
  }>;
  jobs: Array<{
    task: string;
    ready: number;
    scheduled: number;
    running: number;
    retrying: number;
    failed: number;
    oldestReadySeconds: number;
  }>;
}

/** A scrape waits this long for the database, then answers without its gauges. */
const GAUGES_TIMEOUT_MS = 2000;

/**
 * One statement, read when Prometheus scrapes (never per event): the sequencer's lag (events
 * committed on their own statement and not yet numbered, `event_pending`), each inbox's queue
 * (the partial index `idx_conversation_queue` answers it), each campaign's queue (its
 * interactions waiting since `waiting_since`, `idx_conversation_campaign_queue`), and the job
 * queue by task and state (graphile-worker's, whose SQL `job-queue.ts` keeps; outbound messages
 * waiting for delivery are its delivery task's jobs). Every inbox and campaign is listed, an
 * empty queue as 0, so that a graph shows 0 rather than nothing.
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
        GROUP BY i.id) q) AS queues,
    (SELECT coalesce(json_agg(q), '[]'::json) FROM (
       SELECT cp.organization_id AS organization, cp.id AS campaign, count(c.id)::int AS depth,
              coalesce(extract(epoch FROM now() - min(c.waiting_since)), 0)::float8
                AS "oldestSeconds"
         FROM campaign cp
         LEFT JOIN conversation c
           ON c.campaign_id = cp.id AND c.status = 'OPEN' AND c.assignee_id IS NULL
          AND c.waiting_since IS NOT NULL AND c.deleted_at IS NULL
        GROUP BY cp.id) q) AS campaign_queues,
    ${JOB_QUEUE_GAUGES_SQL} AS jobs`;

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
      campaign_queues: OperationalGauges['campaignQueues'];
      jobs: OperationalGauges['jobs'];
    }>;
    const row = rows[0];
    if (!row) throw new Error('no row');
    return {
      pendingEvents: row.pending_events,
      oldestPendingSeconds: row.oldest_pending_seconds,
      queues: row.queues,
      campaignQueues: row.campaign_queues,
      jobs: row.jobs,
    };
  } finally {
    clearTimeout(timer);
  }
}
