import type { PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope, PendingEvent } from './events';
import { preparedQuery } from './prepared';

/**
 * The event log's writes (its SQL: src/db/event-log.sql); the only TypeScript that names those
 * functions. Reading a stream for replay is the subscriptions' `EventLogReader`.
 */

/**
 * Appends events numbered (`tandem_append_events`), in stream order; each stream's `stream_seq`
 * row stays locked until the transaction ends, which orders a stream's writers. Answers the
 * envelopes to publish once the transaction commits.
 */
export async function appendEvents(
  manager: EntityManager,
  events: PendingEvent[],
): Promise<EventEnvelope[]> {
  const [row] = await preparedQuery<{ events: EventEnvelope[] }>(manager, appendStatement('$1'), [
    JSON.stringify(events),
  ]);
  return row?.events ?? [];
}

/**
 * `appendEvents` as a transaction's last statement, sent in one message with its COMMIT (two
 * statements of the simple protocol): the streams' rows the append takes are held until the
 * commit, so no round trip through this process may sit between the two. `logQuery` sees both.
 */
export async function appendEventsAndCommit(
  client: PoolClient,
  events: PendingEvent[],
  logQuery: (sql: string) => void,
): Promise<EventEnvelope[]> {
  const append = appendStatement(`${client.escapeLiteral(JSON.stringify(events))}::jsonb`);
  logQuery(append);
  logQuery('COMMIT');
  const [appended] = (await client.query(`${append}; COMMIT`)) as unknown as QueryResult[];
  return (appended?.rows[0] as { events: EventEnvelope[] } | undefined)?.events ?? [];
}

/**
 * `tandem_append_pending` as a transaction's last statement, in one message with its COMMIT: the
 * events are logged unnumbered, so no stream's `stream_seq` row is held through the commit's disk
 * flush (writers of one busy stream commit side by side instead of one flush after another);
 * the sequencer numbers them once committed. Answers the streams to have numbered.
 */
export async function appendPendingAndCommit(
  client: PoolClient,
  events: PendingEvent[],
  logQuery: (sql: string) => void,
): Promise<string[]> {
  const append = `SELECT tandem_append_pending(${client.escapeLiteral(JSON.stringify(events))}::jsonb) AS streams`;
  logQuery(append);
  logQuery('COMMIT');
  const [appended] = (await client.query(`${append}; COMMIT`)) as unknown as QueryResult[];
  return (appended?.rows[0] as { streams: string[] } | undefined)?.streams ?? [];
}

function appendStatement(events: string): string {
  return `SELECT tandem_append_events(${events}) AS events`;
}

/**
 * Numbers a stream's committed pending events (`tandem_sequence_committed`, its own transaction,
 * whose commit does not wait for the disk: see event-log.sql); answers their envelopes, to
 * publish now.
 */
export async function sequenceStream(
  dataSource: DataSource,
  stream: string,
): Promise<EventEnvelope[]> {
  const [row] = await preparedQuery<{ events: EventEnvelope[] }>(
    dataSource,
    'SELECT tandem_sequence_committed($1) AS events',
    [stream],
  );
  return row?.events ?? [];
}

/** The streams with events pending for longer than `age` (their instance went away first). */
export async function stalePendingStreams(dataSource: DataSource, age: string): Promise<string[]> {
  const rows = await preparedQuery<{ stream: string }>(
    dataSource,
    'SELECT tandem_stale_pending_streams($1) AS stream',
    [age],
  );
  return rows.map((row) => row.stream);
}

/**
 * Deletes events older than the retention (in batches, so no long lock). Resume cursors older
 * than that replay only what is left; state streams (locks) start from a snapshot anyway.
 */
export async function pruneEventLog(
  dataSource: DataSource,
  retentionHours: number,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [row] = (await dataSource.query(
      `WITH gone AS (
         DELETE FROM event_log WHERE ctid IN (
           SELECT ctid FROM event_log WHERE at < now() - $1 * interval '1 hour' LIMIT 5000)
         RETURNING 1)
       SELECT count(*)::int AS count FROM gone`,
      [retentionHours],
    )) as Array<{ count: number }>;
    const count = row?.count ?? 0;
    deleted += count;
    if (count < 5000) return deleted;
  }
}
