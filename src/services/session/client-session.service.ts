import { type Auth, SYSTEM_ACTOR, actorOf } from '../../context/auth';
import type { LockService } from '../lock/lock.service';
import type { RoutingService } from '../routing/routing.service';
import type { UnitOfWork } from '../../db/unit-of-work';
import { ClientSession, ClientSessionKind } from '../../entities/client-session.entity';
import { UnauthenticatedError } from '../../errors/domain-error';
import { type AuthService, authOfSessionRow } from '../auth/auth.service';
import { hashSecret, TOKEN_PREFIX } from '../auth/secrets';
import type { SessionStore } from './session.store';
import type { StreamAccessService } from './stream-access.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Console windows: each WebSocket connection is a client session of its own (DESIGN §2). */
export class ClientSessionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly locks: LockService,
    private readonly routing: RoutingService,
    private readonly store: SessionStore,
    private readonly lockTtlSeconds: number,
    private readonly auth: AuthService,
    private readonly streamAccess: StreamAccessService,
  ) {}

  /**
   * Opens a window session under the caller's sign-in and returns the caller as that window.
   * `resume` (the `sessionId` a previous socket's ack gave) takes that window back instead, when
   * it is a window of the same sign-in still alive within the lock TTL: a console whose instance
   * went away (a rolling restart, a crash) reconnects elsewhere as the same window and keeps its
   * lock. Otherwise (gone, another sign-in's, not an id) a new window is opened, as without it.
   */
  async openWindow(auth: Auth, resume?: string): Promise<Auth & { resumed: boolean }> {
    if (!auth.signInSessionId || !auth.staffId) return { ...auth, resumed: false }; // API keys have no windows
    const signInSessionId = auth.signInSessionId;
    if (resume && UUID.test(resume)) {
      const id = await this.store.resumeWindow(
        resume,
        signInSessionId,
        `${this.lockTtlSeconds} seconds`,
      );
      if (id) return { ...auth, clientSessionId: id, resumed: true };
    }
    const [row] = (await this.uow.dataSource.query(
      `INSERT INTO client_session (organization_id, staff_id, parent_id, kind, expires_at)
       SELECT organization_id, staff_id, id, $2, expires_at FROM client_session
        WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()
       RETURNING id`,
      [signInSessionId, ClientSessionKind.WINDOW],
    )) as Array<{ id: string }>;
    if (!row) throw new UnauthenticatedError('Your session has ended: sign in again');
    // A live window can make an ONLINE agent available again (R9).
    await this.routing.drainQuietly(() =>
      this.routing.drainForAgent(auth.organizationId, auth.staffId as string),
    );
    return { ...auth, clientSessionId: row.id, resumed: false };
  }

  /**
   * A socket's `connection_init`: its caller by bearer token (null: not valid), as a window of
   * their sign-in: `resume` taken back when it may be (see `openWindow`), otherwise a new one.
   * A sign-in token's caller and the window taken back are read in one statement, and the
   * person's access row is kept for their streams' checks (StreamAccessService). API keys have
   * no windows.
   */
  async openSocket(
    token: string,
    resume: string | undefined,
  ): Promise<(Auth & { resumed: boolean }) | null> {
    if (!token.startsWith(TOKEN_PREFIX)) {
      const auth = await this.auth.authenticate(token);
      return auth && this.openWindow(auth);
    }
    const mark = this.streamAccess.noticeMark();
    const row = await this.store.authenticateSocket(
      hashSecret(token),
      resume && UUID.test(resume) ? resume : null,
      `${this.lockTtlSeconds} seconds`,
    );
    if (!row) return null;
    this.streamAccess.remember(
      row.staff_id,
      { role: row.role, active: true, access_generation: row.access_generation },
      mark,
    );
    const auth = authOfSessionRow(row);
    if (row.window_id) return { ...auth, resumed: true };
    return this.openWindow(auth);
  }

  /** A window closed: its session ends, and its ticket lock with it (L3). */
  async closeWindow(auth: Auth, reason: string): Promise<void> {
    const windowId = auth.clientSessionId;
    if (!windowId) return;
    await this.uow.run(async (tx) => {
      await tx.manager
        .createQueryBuilder()
        .update(ClientSession)
        .set({ revokedAt: () => 'now()', revokedReason: reason })
        .where('id = :id AND revoked_at IS NULL', { id: windowId })
        .execute();
      await this.locks.releaseSessions(tx, [windowId], actorOf(auth), reason);
    });
  }

  /**
   * A server instance shutting down ends the windows it held in one transaction, so their
   * tickets' watchers learn at once that the locks went (instead of after the TTL).
   */
  async closeWindows(windowIds: string[], reason: string): Promise<void> {
    if (windowIds.length === 0) return;
    await this.uow.run(async (tx) => {
      await tx.manager
        .createQueryBuilder()
        .update(ClientSession)
        .set({ revokedAt: () => 'now()', revokedReason: reason })
        .where('id = ANY(:ids) AND revoked_at IS NULL', { ids: windowIds })
        .execute();
      await this.locks.releaseSessions(tx, windowIds, SYSTEM_ACTOR, reason);
    });
  }

  /** An HTTP-only window says it is still there (WebSocket windows are kept alive by their instance). */
  async heartbeat(auth: Auth): Promise<string> {
    const windowId = auth.clientSessionId;
    const touched = windowId
      ? await this.uow.dataSource
          .createQueryBuilder()
          .update(ClientSession)
          .set({ lastSeenAt: () => 'now()' })
          .where('id = :id AND revoked_at IS NULL AND expires_at > now()', { id: windowId })
          .execute()
      : undefined;
    if (!windowId || !touched?.affected)
      throw new UnauthenticatedError('This window has ended: sign in again');
    return windowId;
  }

  /** The instance holding these windows' sockets says they are alive. */
  async touch(windowSessionIds: string[]): Promise<void> {
    if (windowSessionIds.length === 0) return;
    await this.uow.dataSource.query(
      'UPDATE client_session SET last_seen_at = now() WHERE id = ANY($1)',
      [windowSessionIds],
    );
  }
}
