import { isUuid } from '../../authz/access-policy';
import type { Config } from '../../config';
import { type ActorRef, type Auth, actorOf } from '../../context/auth';
import type { AssistService } from '../assist/assist.service';
import type { LockService } from '../lock/lock.service';
import { preparedQuery } from '../../db/prepared';
import { hydrate } from '../../db/rows';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { ApiKey } from '../../entities/api-key.entity';
import { ClientSession, ClientSessionKind } from '../../entities/client-session.entity';
import { Staff } from '../../entities/staff.entity';
import { BadInputError, UnauthenticatedError } from '../../errors/domain-error';
import { type SessionsRevokedMessage, Topics } from '../../subscriptions/topics';
import { SignInLimiter } from './sign-in-limiter';
import {
  API_KEY_PREFIX,
  TOKEN_PREFIX,
  decoyPasswordHash,
  hashSecret,
  newSecret,
  verifyPassword,
} from './secrets';

export interface SignInResult {
  token: string;
  sessionId: string;
  staff: Staff;
}

export interface SessionRow {
  session_id: string;
  window_id: string | null;
  organization_id: string;
  staff_id: string;
  role: Auth['role'];
  name: string;
}

/** A sign-in's caller, acting through its window when the row names one. */
export function authOfSessionRow(row: SessionRow): Auth {
  return {
    organizationId: row.organization_id,
    role: row.role,
    staffId: row.staff_id,
    apiKeyId: null,
    signInSessionId: row.session_id,
    clientSessionId: row.window_id ?? row.session_id,
    name: row.name,
  };
}

export class AuthService {
  private readonly limiter: SignInLimiter;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: Config,
    private readonly locks: LockService,
    private readonly assist: AssistService,
  ) {
    this.limiter = new SignInLimiter(uow.dataSource, config.signInAttemptsPerMinute);
  }

  private get dataSource() {
    return this.uow.dataSource;
  }

  /**
   * Signs a staff member in. `clientAddress` is where the attempt comes from, throttled with its
   * email by `SignInLimiter` before the password is checked; without one (a caller inside the
   * process: CLI, seeds, tests) nothing is throttled.
   */
  async signIn(
    emailInput: string,
    password: string,
    clientAddress?: string,
    organizationId?: string,
  ): Promise<SignInResult> {
    const email = emailInput.trim().toLowerCase();
    if (clientAddress !== undefined) await this.limiter.admit(email, clientAddress);
    const staff = await this.staffSigningIn(email, password, organizationId);
    return this.uow.run(async (tx) => {
      if (clientAddress !== undefined)
        await this.limiter.succeeded(tx.manager, email, clientAddress);
      const token = newSecret(TOKEN_PREFIX);
      const session = await tx.manager.save(
        tx.manager.create(ClientSession, {
          organizationId: staff.organizationId,
          staffId: staff.id,
          kind: ClientSessionKind.SIGN_IN,
          tokenHash: hashSecret(token),
          expiresAt: new Date(Date.now() + this.config.sessionTtlHours * 3_600_000),
        }),
      );
      return { token, sessionId: session.id, staff };
    });
  }

  /**
   * The staff member the email and password name. An address is unique within an organization
   * only (another tenant may not learn that it is in use), so one person may sign in to several:
   * the password picks the account, and when it fits more than one, the caller names the
   * organization (told which, since they proved the password).
   */
  private async staffSigningIn(
    email: string,
    password: string,
    organizationId: string | undefined,
  ): Promise<Staff> {
    const candidates = await this.dataSource.getRepository(Staff).find({
      where: { email, active: true, ...(organizationId ? { organizationId } : {}) },
      relations: { organization: true },
      order: { createdAt: 'ASC' },
    });
    const matches: Staff[] = [];
    for (const candidate of candidates) {
      if (await verifyPassword(candidate.passwordHash, password)) matches.push(candidate);
    }
    // Nobody by that email costs a hash too, so the time says nothing of the address.
    if (candidates.length === 0) await verifyPassword(await decoyPasswordHash(), password);
    // A failure was counted when the attempt was admitted: nothing more to write.
    const [staff, ...others] = matches;
    if (!staff) throw new UnauthenticatedError('Wrong email or password');
    if (others.length > 0) {
      throw new BadInputError(
        'organizationId',
        'This email and password sign in to several organizations: name one (organizationId)',
        {
          organizations: matches.map((match) => ({
            id: match.organizationId,
            name: match.organization?.name,
          })),
        },
      );
    }
    return staff;
  }

  /** Ends the caller's sign-in: the token is refused from now on and its sockets are closed. */
  async signOut(auth: Auth): Promise<void> {
    if (!auth.signInSessionId) return;
    const sessionId = auth.signInSessionId;
    await this.uow.run((tx) =>
      this.revokeSessions(tx, { ids: [sessionId] }, 'signed out', actorOf(auth)),
    );
  }

  /**
   * Revokes sessions (by id, or every live one of a staff member) with their windows, and tells
   * every instance to close their sockets. Whoever is left with no live sign-in stops assisting
   * (SIGNED_OUT).
   */
  async revokeSessions(
    tx: Tx,
    which: { ids?: string[]; staffId?: string },
    reason: string,
    actor: ActorRef,
    closeCode?: number,
  ): Promise<string[]> {
    const query = tx.manager
      .createQueryBuilder()
      .update(ClientSession)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('revoked_at IS NULL');
    if (which.ids)
      query.andWhere('(id IN (:...ids) OR parent_id IN (:...ids))', { ids: which.ids });
    if (which.staffId) query.andWhere('staff_id = :staffId', { staffId: which.staffId });
    const result = await query.returning(['id', 'staffId']).execute();
    const rows = result.raw as Array<{ id: string; staff_id: string }>;
    const revoked = rows.map((row) => row.id);
    const message: SessionsRevokedMessage = {
      sessionIds: [...new Set([...(which.ids ?? []), ...revoked])],
      reason,
      ...(closeCode === undefined ? {} : { closeCode }),
    };
    if (message.sessionIds.length) tx.broadcast(Topics.sessionsRevoked, message);
    await this.locks.releaseSessions(tx, revoked, actor, reason);
    await this.assist.endSignedOut(tx, [...new Set(rows.map((row) => row.staff_id))], actor);
    return revoked;
  }

  /**
   * Resolves a bearer token (sign-in token or API key) to the caller; null when it is not valid.
   * `windowSessionId` (the X-Client-Session header) names the window an HTTP request acts for:
   * the sign-in session itself or one of its WebSocket windows, still open.
   */
  async authenticate(token: string, windowSessionId?: string): Promise<Auth | null> {
    if (token.startsWith(API_KEY_PREFIX))
      return windowSessionId ? null : this.authenticateApiKey(token);
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    if (windowSessionId !== undefined && !isUuid(windowSessionId)) return null;
    // Any authenticated request counts as its window being seen (L4): an HTTP client that keeps
    // working keeps its lock without heartbeats. Written at most once a second per window, so a
    // busy console costs one row write a second, not one per request.
    const [row] = await preparedQuery<SessionRow>(
      this.dataSource,
      `WITH caller AS (
         SELECT s.id AS session_id, s.organization_id, st.id AS staff_id, st.role, st.name, w.id AS window_id
           FROM client_session s
           JOIN staff st ON st.id = s.staff_id
           LEFT JOIN client_session w ON w.id = $2 AND (w.id = s.id OR w.parent_id = s.id) AND w.revoked_at IS NULL
          WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND st.active),
       seen AS (
         UPDATE client_session SET last_seen_at = now()
          WHERE id = (SELECT coalesce(window_id, session_id) FROM caller)
            AND ($2::uuid IS NULL OR (SELECT window_id FROM caller) IS NOT NULL)
            AND last_seen_at < now() - interval '1 second')
       SELECT * FROM caller`,
      [hashSecret(token), windowSessionId ?? null],
    );
    if (!row || (windowSessionId && !row.window_id)) return null;
    return authOfSessionRow(row);
  }

  /** True while a session (and, for a window, its sign-in) is live. */
  async liveSessionIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = (await this.dataSource.query(
      `SELECT s.id FROM client_session s
         LEFT JOIN client_session p ON p.id = s.parent_id
         JOIN staff st ON st.id = s.staff_id
        WHERE s.id = ANY($1) AND s.revoked_at IS NULL AND s.expires_at > now() AND st.active
          AND (p.id IS NULL OR (p.revoked_at IS NULL AND p.expires_at > now()))`,
      [ids],
    )) as Array<{ id: string }>;
    return new Set(rows.map((row) => row.id));
  }

  private async authenticateApiKey(key: string): Promise<Auth | null> {
    const [row] = await preparedQuery(
      this.dataSource,
      'SELECT * FROM api_key WHERE secret_hash = $1 AND revoked_at IS NULL',
      [hashSecret(key)],
    );
    if (!row) return null;
    const apiKey = hydrate(this.dataSource, ApiKey, row);
    return {
      organizationId: apiKey.organizationId,
      role: apiKey.role,
      staffId: null,
      apiKeyId: apiKey.id,
      signInSessionId: null,
      clientSessionId: null,
      name: apiKey.name,
    };
  }
}
