import type { DataSource } from 'typeorm';
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
