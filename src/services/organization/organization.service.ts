import { type Auth, actorOf } from '../../context/auth';
import type { DataSource } from 'typeorm';
import type { UnitOfWork } from '../../db/unit-of-work';
import { AuditEventKind } from '../../entities/audit-event.entity';
import { Channel, Role, StaffStatus } from '../../entities/enums';
import { Inbox } from '../../entities/inbox.entity';
import { InboxMember } from '../../entities/inbox-member.entity';
import { Organization } from '../../entities/organization.entity';
import { Staff } from '../../entities/staff.entity';
import { BadInputError } from '../../errors/domain-error';
import { type CampaignMonitorMessage, Topics } from '../../subscriptions/topics';
import { normalizeEmail } from '../customer/contact-value';
import { AuditService } from '../audit/audit.service';
import { generatePassword, hashPassword } from '../auth/secrets';

export const MIN_PASSWORD_LENGTH = 8;
export const DEFAULT_ADMIN_EMAIL = 'admin@tandem.local';

export interface NewOrganization {
  name: string;
  adminEmail: string;
  adminPassword: string;
  adminName?: string;
}

export interface CreatedOrganization {
  organization: Organization;
  admin: Staff;
  inbox: Inbox;
}

export function requirePassword(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new BadInputError(field, `A password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

/** Tenants are created by operators (CLI) and on the first start of an empty database. */
export interface OrganizationChanges {
  /** IANA name, e.g. Europe/Paris. */
  timeZone?: string;
  /** HH:MM (24 h) in the time zone: when its day starts (campaign figures "today", C9). */
  dayResetTime?: string;
}

export class OrganizationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit = new AuditService(uow),
  ) {}

  /** The caller's organization (ADMIN: the permission is at the resolver). */
  async update(auth: Auth, changes: OrganizationChanges): Promise<Organization> {
    if (changes.timeZone == null && changes.dayResetTime == null)
      throw new BadInputError('timeZone', 'Give timeZone, dayResetTime or both');
    if (changes.timeZone != null) await requireKnownTimeZone(this.uow.dataSource, changes.timeZone);
    return this.uow.run(async (tx) => {
      const organization = await tx.manager.findOneOrFail(Organization, {
        where: { id: auth.organizationId },
        lock: { mode: 'pessimistic_write' },
      });
      if (changes.timeZone != null) organization.timeZone = changes.timeZone;
      if (changes.dayResetTime != null)
        organization.dayResetTime = requireDayResetTime(changes.dayResetTime);
      await tx.manager.save(organization);
      // C9: "today" moved; the day's counters already kept stay on the days they were counted on.
      const changed: CampaignMonitorMessage = { organizationId: organization.id, all: true };
      tx.broadcast(Topics.campaignMonitor, changed);
      await this.audit.record(
        tx,
        organization.id,
        actorOf(auth),
        AuditEventKind.ORGANIZATION_UPDATED,
        { type: 'Organization', id: organization.id },
        { ...changes },
      );
      return organization;
    });
  }

  /** An organization with its first ADMIN and a "General" inbox (all channels, default voice). */
  async create(input: NewOrganization): Promise<CreatedOrganization> {
    const name = input.name.trim();
    if (!name) throw new BadInputError('name', 'An organization needs a name');
    const email = normalizeEmail(input.adminEmail, 'adminEmail');
    requirePassword(input.adminPassword, 'adminPassword');
    const passwordHash = await hashPassword(input.adminPassword);
    return this.uow.run(async ({ manager }) => {
      const organization = await manager.save(manager.create(Organization, { name }));
      const inbox = await manager.save(
        manager.create(Inbox, {
          organizationId: organization.id,
          name: 'General',
          channels: Object.values(Channel),
          isDefaultVoice: true,
        }),
      );
      organization.defaultInboxId = inbox.id;
      await manager.save(organization);
      const admin = await manager.save(
        manager.create(Staff, {
          organizationId: organization.id,
          name: input.adminName?.trim() || 'Administrator',
          email,
          passwordHash,
          role: Role.ADMIN,
          status: StaffStatus.OFFLINE,
          defaultInboxId: inbox.id,
        }),
      );
      await manager.insert(InboxMember, {
        inboxId: inbox.id,
        staffId: admin.id,
        organizationId: organization.id,
      });
      return { organization, admin, inbox };
    });
  }

  /**
   * First start on an empty database: one organization and its ADMIN. Returns the credentials
   * to print, or null when the database already has an organization. Safe when several
   * instances start at once (an advisory lock serializes them).
   */
  async bootstrap(
    adminEmail: string | undefined,
    adminPassword: string | undefined,
  ): Promise<{
    email: string;
    password: string | null;
  } | null> {
    const dataSource = this.uow.dataSource;
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtext('tandem:bootstrap'))`);
      const [{ count }] = (await runner.query(
        'SELECT count(*)::int AS count FROM organization',
      )) as [{ count: number }];
      if (count > 0) return null;
      const email = adminEmail ?? DEFAULT_ADMIN_EMAIL;
      const password = adminPassword ?? generatePassword();
      await this.create({ name: 'My organization', adminEmail: email, adminPassword: password });
      return { email, password: adminPassword ? null : password };
    } finally {
      await runner
        .query(`SELECT pg_advisory_unlock(hashtext('tandem:bootstrap'))`)
        .catch(() => undefined);
      await runner.release();
    }
  }

  /**
   * The email of the first organization's first ADMIN while they have never signed in (the
   * password printed on the first start may be lost: the start-up tells how to reset it).
   */
  async firstAdminAwaitingSignIn(): Promise<string | null> {
    const [row] = (await this.uow.dataSource.query(
      `SELECT s.email FROM staff s
        WHERE s.id = (SELECT f.id FROM staff f
                       WHERE f.role = $1
                         AND f.organization_id = (SELECT o.id FROM organization o ORDER BY o.created_at, o.id LIMIT 1)
                       ORDER BY f.created_at, f.id LIMIT 1)
          AND s.active AND NOT EXISTS (SELECT 1 FROM client_session c WHERE c.staff_id = s.id)`,
      [Role.ADMIN],
    )) as Array<{ email: string }>;
    // Only the very first organization's (the one the first start made): an organization created
    // later by an operator has its ADMIN's password from the operator.
    return row ? row.email : null;
  }
}

/** HH:MM, 00:00 to 23:59. */
function requireDayResetTime(value: string): string {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value.trim());
  if (!match) throw new BadInputError('dayResetTime', 'dayResetTime is HH:MM (24 h), e.g. 06:00');
  return match[0];
}

/**
 * Reports compute days in PostgreSQL, whose zone names may differ from Intl's (which the input
 * was checked against): refuse what PostgreSQL does not know.
 */
async function requireKnownTimeZone(dataSource: DataSource, timeZone: string): Promise<void> {
  try {
    await dataSource.query('SELECT now() AT TIME ZONE $1', [timeZone]);
  } catch {
    throw new BadInputError('timeZone', `PostgreSQL does not know the time zone ${timeZone}`);
  }
}
