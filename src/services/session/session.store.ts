import type { DataSource } from 'typeorm';
import { preparedQuery } from '../../db/prepared';
import type { Role } from '../../entities/enums';

/** A sign-in token's caller, and the window it took back (null: none). */
export interface SocketCallerRow {
  session_id: string;
  organization_id: string;
  staff_id: string;
  role: Role;
  name: string;
  access_generation: string;
  window_id: string | null;
}

/** The window functions of session.sql: the only TypeScript that names them. */
export class SessionStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A socket's `connection_init` in one statement: the sign-in token's caller (as
   * `AuthService.authenticate` finds it, the sign-in marked seen at most once a second) with their
   * access generation, and the window `windowId` taken back when it is one of theirs still alive
   * (as `resumeWindow`). A reconnect storm runs it for each console; it was two statements.
   */
  async authenticateSocket(
    tokenHash: string,
    windowId: string | null,
    ttl: string,
  ): Promise<SocketCallerRow | undefined> {
    const [row] = await preparedQuery<SocketCallerRow>(
      this.dataSource,
      `WITH caller AS (
         SELECT s.id AS session_id, s.organization_id, st.id AS staff_id, st.role, st.name, st.access_generation
           FROM client_session s
           JOIN staff st ON st.id = s.staff_id
          WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND st.active),
       seen AS (
         UPDATE client_session SET last_seen_at = now()
          WHERE id = (SELECT session_id FROM caller) AND last_seen_at < now() - interval '1 second'),
       taken AS (
         UPDATE client_session w SET last_seen_at = now()
           FROM caller
          WHERE w.id = $2::uuid AND w.parent_id = caller.session_id AND w.kind = 'WINDOW'
            AND tandem_window_live(w, $3::interval)
         RETURNING w.id)
       SELECT caller.*, (SELECT id FROM taken) AS window_id FROM caller`,
      [tokenHash, windowId, ttl],
    );
    return row;
  }

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
