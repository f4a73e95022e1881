import type { ActorRef, Auth, OnBehalf } from '../../context/auth';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { AuditEvent, type AuditEventKind } from '../../entities/audit-event.entity';
import { BadInputError } from '../../errors/domain-error';

export interface AuditSubject {
  type: string;
  id: string | null;
}

/** Filters of `auditEvents`; each one given narrows the list. */
export interface AuditFilter {
  actorId?: string | null;
  subjectId?: string | null;
  onBehalfOfId?: string | null;
  assistSessionId?: string | null;
  kind?: AuditEventKind | null;
  from?: Date | null;
  to?: Date | null;
}

/** Writes the audit trail inside the transaction of the change it records, and reads it back. */
export class AuditService {
  constructor(private readonly uow: UnitOfWork) {}

  async record(
    tx: Tx,
    organizationId: string,
    actor: ActorRef,
    kind: AuditEventKind,
    subject: AuditSubject,
    data: Record<string, unknown> = {},
    onBehalf?: { customerId: string | null; assistSessionId: string | null },
  ): Promise<void> {
    await tx.manager.save(
      tx.manager.create(AuditEvent, {
        organizationId,
        actorKind: actor.kind,
        actorId: actor.id,
        actorName: actor.name,
        action: kind,
        subjectType: subject.type,
        subjectId: subject.id,
        onBehalfOfId: onBehalf?.customerId ?? null,
        assistSessionId: onBehalf?.assistSessionId ?? null,
        data,
      }),
    );
  }

  /** An action taken for a customer (A4): both people and the assist session are recorded. */
  recordOnBehalf(
    tx: Tx,
    onBehalf: OnBehalf,
    kind: AuditEventKind,
    subject: AuditSubject,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    return this.record(tx, onBehalf.organizationId, onBehalf.actor, kind, subject, data, onBehalf);
  }

  /** The organization's audit trail, newest first (ADMIN: the permission is at the resolver). */
  list(auth: Auth, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>> {
    if (filter.from && filter.to && filter.from > filter.to)
      throw new BadInputError('filter.to', 'to must not be before from');
    const query = this.uow.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('event')
      .where('event.organization_id = :org', { org: auth.organizationId });
    if (filter.actorId) query.andWhere('event.actor_id = :actorId', { actorId: filter.actorId });
    if (filter.subjectId)
      query.andWhere('event.subject_id = :subjectId', { subjectId: filter.subjectId });
    if (filter.onBehalfOfId)
      query.andWhere('event.on_behalf_of_id = :onBehalfOfId', {
        onBehalfOfId: filter.onBehalfOfId,
      });
    if (filter.assistSessionId)
      query.andWhere('event.assist_session_id = :assistSessionId', {
        assistSessionId: filter.assistSessionId,
      });
    if (filter.kind) query.andWhere('event.action = :kind', { kind: filter.kind });
    if (filter.from) query.andWhere('event.at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('event.at < :to', { to: filter.to });
    return paginate(query, page, { property: 'at', direction: 'DESC' });
  }
}
