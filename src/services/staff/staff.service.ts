import type { AccessPolicy } from '../../authz/access-policy';
import { type Auth, actorOf } from '../../context/auth';
import { isUniqueViolation } from '../../db/errors';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { writeChanges } from '../../db/write-changes';
import { Role, StaffStatus } from '../../entities/enums';
import { InboxMember } from '../../entities/inbox-member.entity';
import { Staff } from '../../entities/staff.entity';
import { BadInputError, ConflictError } from '../../errors/domain-error';
import { definedOnly } from '../../util/defined-only';
import { type CampaignMonitorMessage, Topics } from '../../subscriptions/topics';
import type { AssistService } from '../assist/assist.service';
import type { StreamAccessService } from '../session/stream-access.service';
import type { AuditService } from '../audit/audit.service';
import { AssistOutcome } from '../../entities/assist-session.entity';
import { AuditEventKind } from '../../entities/audit-event.entity';
import type { AuthService } from '../auth/auth.service';
import type { HelperService } from '../helper/helper.service';
import type { RoutingService } from '../routing/routing.service';
import { hashPassword } from '../auth/secrets';
import { normalizeEmail } from '../customer/contact-value';
import { requirePassword } from '../organization/organization.service';

export interface NewStaff {
  name: string;
  email: string;
  password: string;
  role: Role;
  defaultInboxId?: string | null;
}

export interface StaffChanges {
  name?: string;
  email?: string;
  password?: string;
  role?: Role;
  defaultInboxId?: string | null;
}

export interface StaffFilter {
  role?: Role | null;
  active?: boolean | null;
}

export class StaffService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly helpers: HelperService,
    private readonly routing: RoutingService,
    private readonly assist: AssistService,
    private readonly streams: StreamAccessService,
  ) {}

  async create(auth: Auth, input: NewStaff): Promise<Staff> {
    requireStaffRole(input.role);
    requirePassword(input.password);
    const email = normalizeEmail(input.email, 'email');
    const passwordHash = await hashPassword(input.password);
    return this.uow.run(async (tx) => {
      if (input.defaultInboxId)
        await this.access.requireInbox(tx.manager, auth, input.defaultInboxId);
      const staff = await this.save(
        tx,
        tx.manager.create(Staff, {
          organizationId: auth.organizationId,
          name: input.name.trim(),
          email,
          passwordHash,
          role: input.role,
          status: StaffStatus.OFFLINE,
          defaultInboxId: input.defaultInboxId ?? null,
        }),
      );
      if (staff.defaultInboxId) {
        await tx.manager.insert(InboxMember, {
          inboxId: staff.defaultInboxId,
          staffId: staff.id,
          organizationId: auth.organizationId,
        });
      }
      await this.audit.record(
        tx,
        auth.organizationId,
        actorOf(auth),
        AuditEventKind.STAFF_CREATED,
        { type: 'Staff', id: staff.id },
        {
          role: staff.role,
        },
      );
      return staff;
    });
  }

  async update(auth: Auth, staffId: string, changes: StaffChanges): Promise<Staff> {
    const values: Partial<Staff> = definedOnly({
      name: changes.name?.trim(),
      email: changes.email === undefined ? undefined : normalizeEmail(changes.email, 'email'),
      role: changes.role,
      defaultInboxId: changes.defaultInboxId,
    });
    if (changes.role) requireStaffRole(changes.role);
    if (changes.password !== undefined) {
      requirePassword(changes.password);
      values.passwordHash = await hashPassword(changes.password);
    }
    return this.uow.run(async (tx) => {
      await this.lockOrganization(tx, auth.organizationId);
      const staff = await this.access.requireStaff(tx.manager, auth, staffId, { forUpdate: true });
      if (changes.defaultInboxId)
        await this.access.requireInbox(tx.manager, auth, changes.defaultInboxId);
      if (staff.role === Role.ADMIN && values.role && values.role !== Role.ADMIN) {
        await this.requireAnotherAdmin(tx, staff);
      }
      const roleChanged = values.role !== undefined && values.role !== staff.role;
      Object.assign(staff, values);
      await this.save(tx, staff);
      // The role decides what their open streams may show (item 8): they check again.
      if (roleChanged) this.streams.changed(tx, [staff.id]);
      if (values.passwordHash)
        await this.auth.revokeSessions(
          tx,
          { staffId: staff.id },
          'password changed',
          actorOf(auth),
        );
      await this.audit.record(
        tx,
        auth.organizationId,
        actorOf(auth),
        AuditEventKind.STAFF_UPDATED,
        { type: 'Staff', id: staff.id },
        {
          fields: Object.keys(values).filter((k) => k !== 'passwordHash'),
        },
      );
      return staff;
    });
  }

  /** The staff member can no longer sign in; their sessions end and their sockets close. */
  async deactivate(auth: Auth, staffId: string): Promise<Staff> {
    return this.uow.run(async (tx) => {
      await this.lockOrganization(tx, auth.organizationId);
      const staff = await this.access.requireStaff(tx.manager, auth, staffId, { forUpdate: true });
      if (!staff.active) return staff;
      if (staff.role === Role.ADMIN) await this.requireAnotherAdmin(tx, staff);
      staff.active = false;
      staff.status = StaffStatus.OFFLINE;
      await tx.manager.save(staff);
      this.streams.changed(tx, [staff.id]);
      // Before the sign-ins go, which would end it as SIGNED_OUT.
      await this.assist.endAllFor(tx, staff.id, AssistOutcome.DEACTIVATED, actorOf(auth));
      await this.auth.revokeSessions(tx, { staffId: staff.id }, 'deactivated', actorOf(auth));
      await this.helpers.endAllOf(tx, staff.id, actorOf(auth));
      await this.routing.onDeactivated(tx, staff, actorOf(auth));
      await this.audit.record(
        tx,
        auth.organizationId,
        actorOf(auth),
        AuditEventKind.STAFF_DEACTIVATED,
        { type: 'Staff', id: staff.id },
      );
      return staff;
    });
  }

  async setStatus(auth: Auth, status: StaffStatus): Promise<Staff> {
    return this.uow.run(async (tx) => {
      const staff = await this.access.requireStaff(tx.manager, auth, auth.staffId as string, {
        forUpdate: true,
      });
      await writeChanges(tx.manager, Staff, staff, { status });
      const changed: CampaignMonitorMessage = {
        organizationId: staff.organizationId,
        staffIds: [staff.id],
      };
      tx.broadcast(Topics.campaignMonitor, changed);
      // R9: an agent coming online takes what waits in their inboxes.
      if (status === StaffStatus.ONLINE)
        tx.afterCommit(() => this.routing.drainForAgent(staff.organizationId, staff.id));
      return staff;
    });
  }

  get(auth: Auth, id: string): Promise<Staff> {
    return this.access.requireStaff(this.uow.dataSource.manager, auth, id);
  }

  list(auth: Auth, filter: StaffFilter, page: PageRequest): Promise<Page<Staff>> {
    const query = this.uow.dataSource
      .getRepository(Staff)
      .createQueryBuilder('staff')
      .where('staff.organization_id = :org', { org: auth.organizationId });
    if (filter.role) query.andWhere('staff.role = :role', { role: filter.role });
    if (filter.active !== undefined && filter.active !== null) {
      query.andWhere('staff.active = :active', { active: filter.active });
    }
    return paginate(query, page, { property: 'name', direction: 'ASC' });
  }

  /**
   * Changes to who is ADMIN take the organization's row lock first, so that two admins demoting
   * each other at once cannot both succeed (nor deadlock).
   */
  private async lockOrganization(tx: Tx, organizationId: string): Promise<void> {
    await tx.manager.query('SELECT 1 FROM organization WHERE id = $1 FOR UPDATE', [organizationId]);
  }

  private async requireAnotherAdmin(tx: Tx, admin: Staff): Promise<void> {
    const others = await tx.manager
      .createQueryBuilder(Staff, 'staff')
      .where(
        'staff.organization_id = :org AND staff.role = :role AND staff.active AND staff.id <> :id',
        {
          org: admin.organizationId,
          role: Role.ADMIN,
          id: admin.id,
        },
      )
      .getCount();
    if (others === 0)
      throw new ConflictError('The organization would be left without an active ADMIN');
  }

  private async save(tx: Tx, staff: Staff): Promise<Staff> {
    try {
      return await tx.manager.save(staff);
    } catch (error) {
      // Unique within the organization only: another tenant's staff never show here.
      if (isUniqueViolation(error, 'uq_staff_organization_id_email')) {
        throw new ConflictError('A staff member of this organization already has this email', {
          field: 'email',
        });
      }
      throw error;
    }
  }
}

function requireStaffRole(role: Role): void {
  if (role === Role.INTEGRATION) {
    throw new BadInputError('role', 'INTEGRATION is for API keys, not for people');
  }
}
