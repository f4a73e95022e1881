import type { EntityManager } from 'typeorm';
import { preparedQuery } from '../db/prepared';
import { hydrate } from '../db/rows';
import type { Auth } from '../context/auth';
import { Conversation } from '../entities/conversation.entity';
import { Customer } from '../entities/customer.entity';
import { Inbox } from '../entities/inbox.entity';
import { InboxMember } from '../entities/inbox-member.entity';
import { Staff } from '../entities/staff.entity';
import { NotFoundError } from '../errors/domain-error';
import { seesAllInboxes } from './permissions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/** A uuid no organization has: what a request without a caller is scoped to. */
const NO_ORGANIZATION = '00000000-0000-0000-0000-000000000000';

interface LoadOptions {
  /** Lock the row for the rest of the transaction (`FOR UPDATE`). */
  forUpdate?: boolean;
}

/**
 * The one place that decides whether a caller may see a record. Everything outside the caller's
 * organization, or outside what their role may see, is NOT_FOUND: missing and forbidden look alike.
 */
export class AccessPolicy {
  async requireInbox(
    manager: EntityManager,
    auth: Auth,
    id: string,
    options: LoadOptions = {},
  ): Promise<Inbox> {
    if (!isUuid(id)) throw new NotFoundError('Inbox', id);
    if (options.forUpdate) {
      const inbox = await manager.findOne(Inbox, {
        where: { id, organizationId: auth.organizationId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!inbox || !(await this.seesInbox(manager, auth, inbox.id)))
        throw new NotFoundError('Inbox', id);
      return inbox;
    }
    // The inbox and the caller's membership in one prepared statement: every subscription to an
    // inbox's streams runs this, a reconnect storm thousands of times a second.
    const [row] = await preparedQuery<Record<string, unknown> & { sees: boolean }>(
      manager,
      `SELECT i.*, ($3 OR EXISTS (SELECT 1 FROM inbox_member m WHERE m.inbox_id = i.id AND m.staff_id = $4)) AS sees
         FROM inbox i WHERE i.id = $1 AND i.organization_id = $2`,
      [id, auth.organizationId, seesAllInboxes(auth), auth.staffId],
    );
    if (!row?.sees) throw new NotFoundError('Inbox', id);
    return hydrate(manager.connection, Inbox, row);
  }

  async requireCustomer(
    manager: EntityManager,
    auth: Auth,
    id: string,
    options: LoadOptions = {},
  ): Promise<Customer> {
    const customer = isUuid(id)
      ? await manager.findOne(Customer, {
          where: { id, organizationId: auth.organizationId },
          lock: options.forUpdate ? { mode: 'pessimistic_write' } : undefined,
        })
      : null;
    if (!customer) throw new NotFoundError('Customer', id);
    return customer;
  }

  async requireStaff(
    manager: EntityManager,
    auth: Auth,
    id: string,
    options: LoadOptions = {},
  ): Promise<Staff> {
    const staff = isUuid(id)
      ? await manager.findOne(Staff, {
          where: { id, organizationId: auth.organizationId },
          lock: options.forUpdate ? { mode: 'pessimistic_write' } : undefined,
        })
      : null;
    if (!staff) throw new NotFoundError('Staff', id);
    return staff;
  }

  /**
   * The conversation, if the caller sees it (`tandem_visible_conversations`, access.sql): read
   * and checked in one statement.
   */
  async requireConversation(
    manager: EntityManager,
    auth: Auth,
    id: string,
    options: LoadOptions = {},
  ): Promise<Conversation> {
    if (!isUuid(id)) throw new NotFoundError('Conversation', id);
    const visible = this.visibleConversations(auth);
    const query = manager
      .createQueryBuilder(Conversation, 'Conversation')
      .where('Conversation.id = :id', { id })
      .andWhere(`Conversation.id IN (SELECT v.id FROM ${visible.from} v)`, visible.parameters);
    if (options.forUpdate) query.setLock('pessimistic_write');
    const conversation = await query.getOne();
    if (!conversation) throw new NotFoundError('Conversation', id);
    return conversation;
  }

  async seesInbox(manager: EntityManager, auth: Auth, inboxId: string): Promise<boolean> {
    if (seesAllInboxes(auth)) return true;
    if (!auth.staffId) return false;
    return manager.existsBy(InboxMember, { inboxId, staffId: auth.staffId });
  }

  /**
   * The conversations the caller sees (no caller: none), as an SQL FROM item to alias, with its
   * named parameters: lists select from it, and Postgres inlines it, so a list costs what the
   * condition written in place would.
   */
  visibleConversations(auth: Auth | null): { from: string; parameters: Record<string, unknown> } {
    return {
      from: 'tandem_visible_conversations(:visibleOrg, :visibleViewer, :visibleSeesAll)',
      parameters: {
        visibleOrg: auth?.organizationId ?? NO_ORGANIZATION,
        visibleViewer: auth?.staffId ?? null,
        visibleSeesAll: auth ? seesAllInboxes(auth) : false,
      },
    };
  }
}
