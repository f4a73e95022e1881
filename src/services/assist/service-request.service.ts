import type { AccessPolicy } from '../../authz/access-policy';
import { isUuid } from '../../authz/access-policy';
import type { Auth, OnBehalf } from '../../context/auth';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { AuditEventKind } from '../../entities/audit-event.entity';
import {
  ServiceRequest,
  ServiceRequestKind,
  ServiceRequestStatus,
} from '../../entities/service-request.entity';
import { BadInputError, ConflictError, NotFoundError } from '../../errors/domain-error';
import type { AuditService } from '../audit/audit.service';
import type { AssistService } from './assist.service';

export interface RequestContent {
  customerId: string;
  service: string;
  data: Record<string, unknown>;
}

export interface FormContent extends RequestContent {
  /** A draft saved before: saving again overwrites it, submitting submits it. */
  formId?: string | null;
}

/** Filters of `serviceRequests` (A8); each one given narrows the list. */
export interface ServiceRequestFilter {
  customerId?: string | null;
  /** True: only those made through assisted service; false: only the customers' own. */
  assisted?: boolean | null;
  assistedById?: string | null;
  service?: string | null;
  kind?: ServiceRequestKind | null;
  from?: Date | null;
  to?: Date | null;
}

interface NewRequest {
  kind: ServiceRequestKind;
  status: ServiceRequestStatus;
  audit: AuditEventKind;
}

/**
 * Requests, forms and workflows (A4, A8, A9): always the customer's own, with the assisting
 * staff member and the assist session beside them when made through assisted service.
 */
export class ServiceRequestService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly assist: AssistService,
    private readonly audit: AuditService,
  ) {}

  submitRequest(auth: Auth, content: RequestContent): Promise<ServiceRequest> {
    return this.create(auth, content, {
      kind: ServiceRequestKind.REQUEST,
      status: ServiceRequestStatus.SUBMITTED,
      audit: AuditEventKind.REQUEST_SUBMITTED,
    });
  }

  startWorkflow(auth: Auth, content: RequestContent): Promise<ServiceRequest> {
    return this.create(auth, content, {
      kind: ServiceRequestKind.WORKFLOW,
      status: ServiceRequestStatus.STARTED,
      audit: AuditEventKind.WORKFLOW_STARTED,
    });
  }

  /** A draft form: a new one, or the one named by `formId` overwritten. */
  saveForm(auth: Auth, content: FormContent): Promise<ServiceRequest> {
    const draft = {
      kind: ServiceRequestKind.FORM,
      status: ServiceRequestStatus.DRAFT,
      audit: AuditEventKind.FORM_SAVED,
    };
    return content.formId
      ? this.changeDraft(auth, content, content.formId, draft)
      : this.create(auth, content, draft);
  }

  /** Submits the draft named by `formId` with this content, or a new form straight away. */
  submitForm(auth: Auth, content: FormContent): Promise<ServiceRequest> {
    const submitted = {
      kind: ServiceRequestKind.FORM,
      status: ServiceRequestStatus.SUBMITTED,
      audit: AuditEventKind.FORM_SUBMITTED,
    };
    return content.formId
      ? this.changeDraft(auth, content, content.formId, submitted)
      : this.create(auth, content, submitted);
  }

  /** Newest first (A8). */
  list(auth: Auth, filter: ServiceRequestFilter, page: PageRequest): Promise<Page<ServiceRequest>> {
    if (filter.from && filter.to && filter.from > filter.to)
      throw new BadInputError('filter.to', 'to must not be before from');
    const query = this.uow.dataSource
      .getRepository(ServiceRequest)
      .createQueryBuilder('request')
      .where('request.organization_id = :org', { org: auth.organizationId });
    if (filter.customerId)
      query.andWhere('request.customer_id = :customerId', { customerId: filter.customerId });
    if (filter.assisted === true) query.andWhere('request.assisted_by_id IS NOT NULL');
    if (filter.assisted === false) query.andWhere('request.assisted_by_id IS NULL');
    if (filter.assistedById)
      query.andWhere('request.assisted_by_id = :assistedById', {
        assistedById: filter.assistedById,
      });
    if (filter.service)
      query.andWhere('lower(request.service) = lower(:service)', {
        service: filter.service.trim(),
      });
    if (filter.kind) query.andWhere('request.kind = :kind', { kind: filter.kind });
    if (filter.from) query.andWhere('request.created_at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('request.created_at < :to', { to: filter.to });
    return paginate(query, page, { property: 'createdAt', direction: 'DESC' });
  }

  private create(auth: Auth, content: RequestContent, what: NewRequest): Promise<ServiceRequest> {
    const service = requireService(content.service);
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, content.customerId);
      const onBehalf = await this.assist.requireOnBehalf(tx, auth, customer);
      const request = await tx.manager.save(
        tx.manager.create(ServiceRequest, {
          organizationId: auth.organizationId,
          customerId: customer.id,
          kind: what.kind,
          service,
          status: what.status,
          data: content.data,
          ...recordedBy(onBehalf),
          submittedAt: what.status === ServiceRequestStatus.DRAFT ? null : new Date(),
        }),
      );
      await this.recordAudit(tx, onBehalf, what.audit, request);
      return request;
    });
  }

  private changeDraft(
    auth: Auth,
    content: RequestContent,
    formId: string,
    what: NewRequest,
  ): Promise<ServiceRequest> {
    const service = requireService(content.service);
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, content.customerId);
      const form = isUuid(formId)
        ? await tx.manager.findOne(ServiceRequest, {
            where: {
              id: formId,
              organizationId: auth.organizationId,
              customerId: customer.id,
              kind: ServiceRequestKind.FORM,
            },
            lock: { mode: 'pessimistic_write' },
          })
        : null;
      if (!form) throw new NotFoundError('ServiceRequest', formId);
      const onBehalf = await this.assist.requireOnBehalf(tx, auth, customer);
      if (form.status !== ServiceRequestStatus.DRAFT)
        throw new ConflictError('This form was submitted already: it can no longer change', {
          field: 'formId',
        });
      Object.assign(form, {
        service,
        data: content.data,
        status: what.status,
        ...recordedBy(onBehalf),
        updatedAt: new Date(),
        submittedAt: what.status === ServiceRequestStatus.DRAFT ? null : new Date(),
      });
      await tx.manager.save(form);
      await this.recordAudit(tx, onBehalf, what.audit, form);
      return form;
    });
  }

  private recordAudit(
    tx: Tx,
    onBehalf: OnBehalf,
    kind: AuditEventKind,
    request: ServiceRequest,
  ): Promise<void> {
    return this.audit.recordOnBehalf(
      tx,
      onBehalf,
      kind,
      { type: 'ServiceRequest', id: request.id },
      { service: request.service, status: request.status },
    );
  }
}

function requireService(raw: string): string {
  const service = raw.trim();
  if (!service) throw new BadInputError('service', 'Name the service');
  return service;
}

/** The request is the customer's; who entered it, and who assisted, are recorded beside it. */
function recordedBy(onBehalf: OnBehalf): Partial<ServiceRequest> {
  return {
    assistedById: onBehalf.assistedById,
    assistSessionId: onBehalf.assistSessionId,
    recordedByKind: onBehalf.actor.kind,
    recordedById: onBehalf.actor.id,
    recordedByName: onBehalf.actor.name,
  };
}
