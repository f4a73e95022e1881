import { type EntityManager, IsNull } from 'typeorm';
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
    const inbox = isUuid(id)
      ? await manager.findOne(Inbox, {
          where: { id, organizationId: auth.organizationId },
          lock: options.forUpdate ? { mode: 'pessimistic_write' } : undefined,
        })
      : null;
    if (!inbox || !(await this.seesInbox(manager, auth, inbox.id)))
      throw new NotFoundError('Inbox', id);
    return inbox;
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

  async requireConversation(
    manager: EntityManager,
    auth: Auth,
    id: string,
    options: LoadOptions = {},
  ): Promise<Conversation> {
    const conversation = isUuid(id)
      ? await manager.findOne(Conversation, {
          where: { id, organizationId: auth.organizationId, deletedAt: IsNull() },
          lock: options.forUpdate ? { mode: 'pessimistic_write' } : undefined,
        })
      : null;
    if (!conversation || !(await this.seesConversation(manager, auth, conversation))) {
      throw new NotFoundError('Conversation', id);
    }
    return conversation;
  }

  async seesInbox(manager: EntityManager, auth: Auth, inboxId: string): Promise<boolean> {
    if (seesAllInboxes(auth)) return true;
    if (!auth.staffId) return false;
    return manager.existsBy(InboxMember, { inboxId, staffId: auth.staffId });
  }

  async seesConversation(
    manager: EntityManager,
    auth: Auth,
    conversation: Conversation,
  ): Promise<boolean> {
    if (conversation.organizationId !== auth.organizationId) return false;
    if (seesAllInboxes(auth) || conversation.assigneeId === auth.staffId) return true;
    return this.seesInbox(manager, auth, conversation.inboxId);
  }

  /**
   * SQL condition limiting conversations (alias `alias`) to what the caller sees, for lists.
   * The caller binds `:viewerId`.
   */
  conversationScope(auth: Auth, alias: string): string | undefined {
    if (seesAllInboxes(auth)) return undefined;
    return `(${alias}.assignee_id = :viewerId OR ${alias}.inbox_id IN
      (SELECT m.inbox_id FROM inbox_member m WHERE m.staff_id = :viewerId))`;
  }
}
