import type { AccessPolicy } from '../../authz/access-policy';
import type { Auth } from '../../context/auth';
import type { UnitOfWork } from '../../db/unit-of-work';
import { AuditEventKind } from '../../entities/audit-event.entity';
import type { Customer } from '../../entities/customer.entity';
import type { AuditService } from '../audit/audit.service';
import type { CustomerFields, CustomerService } from '../customer/customer.service';
import type { AssistService } from './assist.service';

/**
 * A customer's profile changed, or a new customer registered, on their behalf (A4, A9): the same
 * rules as the customer's own writes, recorded with who acted and the assist session.
 */
export class AssistedCustomerService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly customers: CustomerService,
    private readonly assist: AssistService,
    private readonly audit: AuditService,
  ) {}

  async updateProfile(auth: Auth, customerId: string, fields: CustomerFields): Promise<Customer> {
    const values = this.customers.normalize(fields);
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, customerId, {
        forUpdate: true,
      });
      const onBehalf = await this.assist.requireOnBehalf(tx, auth, customer);
      const updated = await this.customers.updateIn(tx, customer, values);
      await this.audit.recordOnBehalf(
        tx,
        onBehalf,
        AuditEventKind.PROFILE_UPDATED,
        { type: 'Customer', id: customer.id },
        { fields: Object.keys(values) },
      );
      return updated;
    });
  }

  /** Registers the caller being assisted; their assist session now names them. */
  async register(auth: Auth, fields: CustomerFields & { name: string }): Promise<Customer> {
    const values = this.customers.normalize(fields);
    return this.uow.run(async (tx) => {
      const session = await this.assist.requireRegistering(tx, auth);
      const customer = await this.customers.insertIn(tx, auth.organizationId, values);
      const onBehalf = await this.assist.bindRegistered(tx, auth, session, customer);
      await this.audit.recordOnBehalf(
        tx,
        onBehalf,
        AuditEventKind.CUSTOMER_REGISTERED,
        { type: 'Customer', id: customer.id },
        { fields: Object.keys(values) },
      );
      return customer;
    });
  }
}
