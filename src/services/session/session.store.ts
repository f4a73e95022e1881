import type { DataSource } from 'typeorm';

/** The window functions of session.sql: the only TypeScript that names them. */
export class SessionStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes a window back for a new socket of the same sign-in: only while it is alive (not
   * revoked nor expired, seen within `ttl`), so a window the sweeper may already have judged
   * dead is never revived. Marks it seen; null when it cannot be taken back.
   */
  async resumeWindow(
    windowId: string,
    signInSessionId: string,
    ttl: string,
  ): Promise<string | null> {
    // A SELECT around the UPDATE: TypeORM answers an UPDATE with [rows, count], a SELECT with rows.
    const [row] = (await this.dataSource.query(
      `WITH taken AS (
         UPDATE client_session w SET last_seen_at = now()
          WHERE w.id = $1 AND w.parent_id = $2 AND w.kind = 'WINDOW'
            AND tandem_window_live(w, $3::interval)
         RETURNING w.id)
       SELECT id FROM taken`,
      [windowId, signInSessionId, ttl],
    )) as Array<{ id: string }>;
    return row?.id ?? null;
  }
}
