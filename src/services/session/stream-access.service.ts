import type { Auth } from '../../context/auth';
import { preparedQuery } from '../../db/prepared';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import type { Role } from '../../entities/enums';
import { DomainError, ForbiddenError, UnauthenticatedError } from '../../errors/domain-error';
import type { StreamAccess } from '../../subscriptions/access-watch';
import type { EventHub } from '../../subscriptions/event-hub';
import { Topics, type AccessChangedMessage } from '../../subscriptions/topics';

export interface AccessRow {
  role: Role;
  active: boolean;
  access_generation: string;
}

/** When a socket's caller was last read, and the notices for them seen then. */
export interface HeldRole {
  notices: number;
  readAt: number;
}

/** A socket's role is read again at least this often, notice or not. */
const ROLE_REREAD_MS = 5000;

/** People whose row is kept for their next stream check, at most. */
const KEPT_ROWS = 20_000;

/** A stream's rule passed: what it resolved to, and the access the hub keeps checking. */
export interface CheckedStream<T> {
  value: T;
  /** Absent for an API key (its streams end when the key is revoked). */
  access?: StreamAccess;
}

/**
 * The access of staff members' live streams (issue 17, item 8). A subscription's rule is run
 * with the person's role and activation as stored now (not as their socket signed in), beside
 * their access generation; when that generation moves (a trigger of src/authz/access.sql raises
 * it), the rule is run again once, and a stream it no longer allows ends with FORBIDDEN.
 */
export class StreamAccessService {
  /** Rows read lately, with the person's notice count taken before each was read. */
  private readonly rows = new Map<string, { row: AccessRow; notices: number; readAt: number }>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly hub: EventHub,
  ) {}

  /** Runs a stream's rule for the caller as they are now; its access goes to `hub.subscribe`. */
  async check<T>(auth: Auth, rule: (auth: Auth) => Promise<T>): Promise<CheckedStream<T>> {
    const staffId = auth.staffId;
    if (!staffId) return { value: await rule(auth) };
    // Taken before the check: a notice arriving from now on is checked again.
    const notices = this.hub.access.notices(staffId);
    const run = async (row?: AccessRow): Promise<{ value: T; generation: number }> => {
      row ??= await this.read(staffId);
      if (!row?.active) throw new ForbiddenError('This staff member is deactivated');
      const value = await rule({ ...auth, role: row.role });
      return { value, generation: Number(row.access_generation) };
    };
    // The person as read a moment ago (their socket's authentication, their other stream) when
    // no notice came for them since: a console's streams, opened together, read them once.
    const first = await run(this.recent(staffId, notices));
    return {
      value: first.value,
      access: {
        staffId,
        notices,
        generation: first.generation,
        recheck: async () => {
          try {
            return (await run()).generation;
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            throw new ForbiddenError(
              `Your access to this stream changed: ${error.message} (subscribe again if it is allowed)`,
            );
          }
        },
      },
    };
  }

  /**
   * The caller of an open socket, with their role as stored now (issue 17: a role change must
   * reach the operations of a socket opened before it, not only its streams). Re-read when a
   * notice for the person came since the last read, and at least every 5 s (a lost notice): a
   * map read per operation otherwise. A deactivated person's sockets are being closed; their
   * operations meanwhile are refused.
   */
  async current(auth: Auth, held: HeldRole): Promise<Auth> {
    const staffId = auth.staffId;
    if (!staffId) return auth;
    const notices = this.hub.access.notices(staffId);
    if (notices === held.notices && Date.now() - held.readAt < ROLE_REREAD_MS) return auth;
    const [row] = await preparedQuery<AccessRow>(
      this.uow.dataSource,
      'SELECT role, active, access_generation FROM staff WHERE id = $1',
      [staffId],
    );
    if (!row?.active) throw new UnauthenticatedError('This staff member is deactivated');
    held.notices = notices;
    held.readAt = Date.now();
    return row.role === auth.role ? auth : { ...auth, role: row.role };
  }

  /**
   * The first notice count every later read is compared with: taken before a read made without
   * knowing whose row it reads (a socket's authentication), given back to `remember` with it.
   */
  noticeMark(): number {
    return this.hub.access.totalNotices();
  }

  /**
   * A row of the person read elsewhere (their socket's authentication) for their streams' checks:
   * kept only if no notice at all came since `mark` (taken before it was read).
   */
  remember(staffId: string, row: AccessRow, mark: number): void {
    if (this.hub.access.totalNotices() !== mark) return;
    this.keep(staffId, row, this.hub.access.notices(staffId));
  }

  /** Reads the person's row now (its notices taken before), and keeps it for their next check. */
  private async read(staffId: string): Promise<AccessRow | undefined> {
    const notices = this.hub.access.notices(staffId);
    const [row] = await preparedQuery<AccessRow>(
      this.uow.dataSource,
      'SELECT role, active, access_generation FROM staff WHERE id = $1',
      [staffId],
    );
    if (row) this.keep(staffId, row, notices);
    return row;
  }

  /** The person's row read less than `ROLE_REREAD_MS` ago with no notice for them since. */
  private recent(staffId: string, notices: number): AccessRow | undefined {
    const kept = this.rows.get(staffId);
    if (!kept) return undefined;
    if (kept.notices !== notices || Date.now() - kept.readAt >= ROLE_REREAD_MS) {
      this.rows.delete(staffId);
      return undefined;
    }
    return kept.row;
  }

  private keep(staffId: string, row: AccessRow, notices: number): void {
    const now = Date.now();
    // Rows past their use are dropped as the map grows (one per person who subscribed lately).
    if (this.rows.size >= KEPT_ROWS) {
      for (const [id, kept] of this.rows)
        if (now - kept.readAt >= ROLE_REREAD_MS) this.rows.delete(id);
      if (this.rows.size >= KEPT_ROWS) this.rows.clear();
    }
    this.rows.set(staffId, { row, notices, readAt: now });
  }

  /** What `current` needs to know of a socket opened now (before its caller was read). */
  holdRole(staffId: string | null): HeldRole {
    return { notices: staffId ? this.hub.access.notices(staffId) : 0, readAt: Date.now() };
  }

  /** Once committed, every instance re-checks these people's streams. */
  changed(tx: Tx, staffIds: Iterable<string>): void {
    const message: AccessChangedMessage = { staffIds: [...new Set(staffIds)] };
    if (message.staffIds.length > 0) tx.broadcast(Topics.accessChanged, message);
  }

  /** The current access generation of each of these people (the watch's periodic comparison). */
  async generations(staffIds: string[]): Promise<Map<string, number>> {
    const rows = await preparedQuery<{ id: string; access_generation: string }>(
      this.uow.dataSource,
      'SELECT id, access_generation FROM staff WHERE id = ANY($1)',
      [staffIds],
    );
    return new Map(rows.map((row) => [row.id, Number(row.access_generation)]));
  }
}
