import type { PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope } from './pubsub';
import { preparedQuery } from '../db/prepared';

interface EventRow {
  seq: string;
  payload: Record<string, unknown>;
  at: Date;
}

const toEnvelope = (stream: string, row: EventRow): EventEnvelope => ({
  stream,
  seq: Number(row.seq),
  at: row.at.toISOString(),
  payload: row.payload,
});

/** Events read per statement when replaying or filling a gap. */
export const MAX_REPLAY = 1000;

/**
 * Bytes of payload one page of a subscriber's replay may hold (beyond its first event): what a
 * subscription keeps in memory while its client reads, however long the history it resumes.
 */
export const REPLAY_PAGE_BYTES = 64 * 1024;
/** Events one page of a subscriber's replay may hold. */
const REPLAY_PAGE_EVENTS = 256;

/** An event not logged yet: its stream and organization, and what it says. */
export interface PendingEvent {
  stream: string;
  org: string;
  payload: Record<string, unknown>;
}

/**
 * Logs events and hands out their stream sequences (SQL function `tandem_append_events`, shared
 * with the lock functions), in stream order; each stream's `stream_seq` row stays locked until
 * the transaction ends, which orders a stream's writers. Answers the envelopes to publish.
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

function appendStatement(events: string): string {
  return `SELECT tandem_append_events(${events}) AS events`;
}

export class EventLogReader {
  constructor(private readonly dataSource: DataSource) {}

  /** Events with `after < seq <= upTo`, in order. */
  async read(stream: string, after: number, upTo?: number): Promise<EventEnvelope[]> {
    const rows = await preparedQuery<EventRow>(
      this.dataSource,
      `SELECT seq, payload, at FROM event_log
        WHERE stream = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3)
        ORDER BY seq LIMIT ${MAX_REPLAY}`,
      [stream, after, upTo ?? null],
    );
    return rows.map((row) => toEnvelope(stream, row));
  }

  /** Like `read`, page after page until `upTo` (or the end of the stream). */
  async readAll(stream: string, after: number, upTo?: number): Promise<EventEnvelope[]> {
    const events: EventEnvelope[] = [];
    for (let from = after; ;) {
      const page = await this.read(stream, from, upTo);
      events.push(...page);
      if (page.length < MAX_REPLAY) return events;
      from = page[page.length - 1]?.seq ?? from;
    }
  }

  /**
   * The next events with `after < seq <= upTo`, as many as fit in `REPLAY_PAGE_BYTES` of payload
   * (at least one): a replay is read page by page as its client takes it, so the memory it holds
   * does not grow with the history.
   */
  async readPage(stream: string, after: number, upTo: number): Promise<EventEnvelope[]> {
    const rows = await preparedQuery<EventRow>(
      this.dataSource,
      `SELECT seq, payload, at FROM (
         SELECT seq, payload, at, sum(size) OVER (ORDER BY seq) - size AS before FROM (
           SELECT seq, payload, at, octet_length(payload::text) AS size FROM event_log
            WHERE stream = $1 AND seq > $2 AND seq <= $3
            ORDER BY seq LIMIT ${REPLAY_PAGE_EVENTS}) candidates) page
        WHERE before < $4
        ORDER BY seq`,
      [stream, after, upTo, REPLAY_PAGE_BYTES],
    );
    return rows.map((row) => toEnvelope(stream, row));
  }

  /** The last sequence handed out on each of these streams (absent: none yet). */
  async lastSeqs(streams: string[]): Promise<Map<string, number>> {
    if (streams.length === 0) return new Map();
    const rows = await preparedQuery<{ stream: string; last_seq: string }>(
      this.dataSource,
      'SELECT stream, last_seq FROM stream_seq WHERE stream = ANY($1)',
      [streams],
    );
    return new Map(rows.map((row) => [row.stream, Number(row.last_seq)]));
  }

  /** The last sequence handed out on a stream (0 when it has none). */
  async lastSeq(stream: string): Promise<number> {
    const rows = await preparedQuery<{ last_seq: string }>(
      this.dataSource,
      'SELECT last_seq FROM stream_seq WHERE stream = $1',
      [stream],
    );
    return rows.length ? Number(rows[0]?.last_seq) : 0;
  }
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
