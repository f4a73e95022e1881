import type { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope } from './pubsub';

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

/** Events read per statement when replaying. */
export const MAX_REPLAY = 1000;

/**
 * Appends an event and hands out its stream sequence in one statement. The upsert's row lock on
 * `stream_seq` orders concurrent writers of one stream until they commit.
 */
export async function appendEvent(
  manager: EntityManager,
  stream: string,
  organizationId: string,
  payload: Record<string, unknown>,
): Promise<EventEnvelope> {
  const [row] = (await manager.query(
    `WITH next AS (
       INSERT INTO stream_seq (stream, last_seq) VALUES ($1, 1)
       ON CONFLICT (stream) DO UPDATE SET last_seq = stream_seq.last_seq + 1
       RETURNING last_seq)
     INSERT INTO event_log (stream, seq, organization_id, payload, at)
     SELECT $1, last_seq, $2, $3, clock_timestamp() FROM next
     RETURNING seq, payload, at`,
    [stream, organizationId, payload],
  )) as EventRow[];
  return toEnvelope(stream, row as EventRow);
}

export class EventLogReader {
  constructor(private readonly dataSource: DataSource) {}

  /** Events with `after < seq <= upTo`, in order. */
  async read(stream: string, after: number, upTo?: number): Promise<EventEnvelope[]> {
    const rows = (await this.dataSource.query(
      `SELECT seq, payload, at FROM event_log
        WHERE stream = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3)
        ORDER BY seq LIMIT ${MAX_REPLAY}`,
      [stream, after, upTo ?? null],
    )) as EventRow[];
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

  /** The last sequence handed out on a stream (0 when it has none). */
  async lastSeq(stream: string): Promise<number> {
    const rows = (await this.dataSource.query('SELECT last_seq FROM stream_seq WHERE stream = $1', [
      stream,
    ])) as Array<{ last_seq: string }>;
    return rows.length ? Number(rows[0]?.last_seq) : 0;
  }
}
