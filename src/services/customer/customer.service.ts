import type { AccessPolicy } from '../../authz/access-policy';
import type { Config } from '../../config';
import type { Auth } from '../../context/auth';
import { isUniqueViolation } from '../../db/errors';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Contact } from '../../entities/contact.entity';
import { Customer } from '../../entities/customer.entity';
import { ContactKind } from '../../entities/enums';
import { ConflictError } from '../../errors/domain-error';
import { definedOnly } from '../../util/defined-only';
import { normalizeContactValue, normalizeEmail, normalizePhone } from './contact-value';

export interface CustomerFields {
  name?: string;
  username?: string | null;
  email?: string | null;
  phone?: string | null;
  postalAddress?: string | null;
}

export interface CustomerFilter {
  /** Matches name, username or email, case-insensitively. */
  query?: string | null;
}

export class CustomerService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly config: Config,
  ) {}

  async create(auth: Auth, fields: CustomerFields & { name: string }): Promise<Customer> {
    const values = this.normalize(fields);
    return this.uow.run((tx) => this.insertIn(tx, auth.organizationId, values));
  }

  async update(auth: Auth, customerId: string, fields: CustomerFields): Promise<Customer> {
    const values = this.normalize(fields);
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, customerId, {
        forUpdate: true,
      });
      return this.updateIn(tx, customer, values);
    });
  }

  /** A new customer with its email and phone as contacts, in the caller's transaction. */
  async insertIn(tx: Tx, organizationId: string, values: CustomerFields): Promise<Customer> {
    const customer = await this.save(
      tx,
      tx.manager.create(Customer, { organizationId, ...values }),
    );
    await this.ensureContacts(tx, customer);
    return customer;
  }

  /** Applies normalized changes to a customer locked by the caller's transaction. */
  async updateIn(tx: Tx, customer: Customer, values: CustomerFields): Promise<Customer> {
    Object.assign(customer, values);
    await this.save(tx, customer);
    await this.ensureContacts(tx, customer);
    return customer;
  }

  /** Adding a contact the customer already has returns it; another customer's is a CONFLICT. */
  async addContact(
    auth: Auth,
    customerId: string,
    kind: ContactKind,
    rawValue: string,
  ): Promise<Contact> {
    const value = normalizeContactValue(kind, rawValue, 'value', this.config.defaultPhoneCountry);
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, customerId, {
        forUpdate: true,
      });
      return this.ensureContact(tx, customer, kind, value, 'value');
    });
  }

  get(auth: Auth, id: string): Promise<Customer> {
    return this.access.requireCustomer(this.uow.dataSource.manager, auth, id);
  }

  list(auth: Auth, filter: CustomerFilter, page: PageRequest): Promise<Page<Customer>> {
    const query = this.uow.dataSource
      .getRepository(Customer)
      .createQueryBuilder('customer')
      .where('customer.organization_id = :org', { org: auth.organizationId });
    const text = filter.query?.trim();
    if (text) {
      query.andWhere(
        '(customer.name ILIKE :text OR customer.username ILIKE :text OR customer.email ILIKE :text)',
        { text: `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` },
      );
    }
    return paginate(query, page, { property: 'name', direction: 'ASC' });
  }

  /** Trimmed, and email and phone in their stored form (BAD_USER_INPUT when they are not). */
  normalize(fields: CustomerFields): CustomerFields {
    const values = definedOnly(fields);
    if (fields.name !== undefined) values.name = fields.name.trim();
    if (fields.username) values.username = fields.username.trim();
    // An empty string is not an email address nor a phone number (null is how to clear one).
    if (typeof fields.email === 'string') values.email = normalizeEmail(fields.email, 'email');
    if (typeof fields.phone === 'string')
      values.phone = normalizePhone(fields.phone, 'phone', this.config.defaultPhoneCountry);
    return values;
  }

  private async save(tx: Tx, customer: Customer): Promise<Customer> {
    try {
      return await tx.manager.save(customer);
    } catch (error) {
      if (isUniqueViolation(error, 'uq_customer_username')) {
        throw new ConflictError('Another customer has this username', { field: 'username' });
      }
      throw error;
    }
  }

  /** The customer's email and phone are also contacts, so conversations can be matched to them. */
  private async ensureContacts(tx: Tx, customer: Customer): Promise<void> {
    if (customer.email)
      await this.ensureContact(tx, customer, ContactKind.EMAIL, customer.email, 'email');
    if (customer.phone)
      await this.ensureContact(tx, customer, ContactKind.PHONE, customer.phone, 'phone');
  }

  private async ensureContact(
    tx: Tx,
    customer: Customer,
    kind: ContactKind,
    value: string,
    field: string,
  ): Promise<Contact> {
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(Contact)
      .values({ organizationId: customer.organizationId, customerId: customer.id, kind, value })
      .orIgnore()
      .execute();
    const contact = await tx.manager.findOneByOrFail(Contact, {
      organizationId: customer.organizationId,
      kind,
      value,
    });
    if (contact.customerId !== customer.id) {
      throw new ConflictError(`${value} is a contact of another customer`, { field });
    }
    return contact;
  }
}
