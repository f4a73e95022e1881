import type { AccessPolicy } from '../../authz/access-policy';
import { Permission, can } from '../../authz/permissions';
import { type Auth, actorOf } from '../../context/auth';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { writeChanges } from '../../db/write-changes';
import { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { Channel, ConversationStatus, Direction, RoutingReason } from '../../entities/enums';
import { Inbox } from '../../entities/inbox.entity';
import { Organization } from '../../entities/organization.entity';
import {
  BadInputError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
} from '../../errors/domain-error';
import { ConversationEventKind, NotificationKind } from '../../subscriptions/payloads';
import type { HelperService } from '../helper/helper.service';
import { emitConversationEvent } from './conversation-events';
import { requireNotArchived } from './conversation-rules';
import type { LockService } from '../lock/lock.service';
import type { Assignments } from '../routing/assignments';
import type { RoutingService } from '../routing/routing.service';
import { type WriteGuard, requireCurrentView } from '../lock/write-guard';
import type { MessageService } from './message.service';

export interface NewConversation {
  customerId: string;
  contactId?: string | null;
  channel: Channel;
  inboxId?: string | null;
  subject?: string | null;
  body?: string | null;
  direction?: Direction | null;
}

export interface ConversationFilter {
  inboxId?: string | null;
  customerId?: string | null;
  assigneeId?: string | null;
  status?: ConversationStatus | null;
  channel?: Channel | null;
}

export class ConversationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly messages: MessageService,
    private readonly helpers: HelperService,
    private readonly routing: RoutingService,
    private readonly assignments: Assignments,
    private readonly locks: LockService,
  ) {}

  /**
   * A new conversation, routed at once (R1–R10): to the customer's hero, the next available
   * agent, or the queue. One started OUTGOING by a staff member is theirs.
   */
  async start(auth: Auth, input: NewConversation): Promise<Conversation> {
    const direction = input.direction ?? Direction.INCOMING;
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, input.customerId);
      const contact = input.contactId
        ? await this.requireContactOf(tx, customer, input.contactId)
        : null;
      const inbox = await this.inboxFor(tx, auth, input.inboxId);
      if (!inbox.channels.includes(input.channel)) {
        throw new BadInputError('channel', `Inbox "${inbox.name}" does not take ${input.channel}`);
      }
      const startedByStaff = direction === Direction.OUTGOING && auth.staffId !== null;
      const plan = startedByStaff
        ? undefined
        : await this.routing.plan(tx, customer.id, input.channel, inbox.id);
      const conversation = await tx.manager.save(
        tx.manager.create(Conversation, {
          organizationId: auth.organizationId,
          customerId: customer.id,
          contactId: contact?.id ?? null,
          channel: input.channel,
          inboxId: plan?.inboxId ?? inbox.id,
          assigneeId: null,
          status: ConversationStatus.OPEN,
          direction,
          subject: input.subject?.trim() || null,
          routingReason: null,
        }),
      );
      const actor = actorOf(auth);
      emitConversationEvent(tx, conversation, ConversationEventKind.CREATED, actor);
      const first = input.body
        ? await this.messages.append(
            tx,
            auth,
            conversation,
            input.body,
            direction === Direction.INCOMING ? 'customer' : 'staff',
          )
        : undefined;
      if (!first) await this.messages.touchCustomer(tx, conversation);
      if (plan) {
        await this.routing.apply(tx, conversation, plan, actor);
      } else {
        await this.assignments.change(tx, conversation, {
          assigneeId: auth.staffId,
          reason: RoutingReason.OUTGOING,
          actor,
          note: `${actor.name} started it`,
        });
      }
      if (direction === Direction.INCOMING) {
        await this.helpers.notifyHelpers(
          tx,
          conversation,
          NotificationKind.CONVERSATION_STARTED,
          first,
        );
      }
      return conversation;
    });
  }

  /**
   * Gives a conversation to someone by hand (MANUAL; the hero stays, R4). Agents take only for
   * themselves, and not past the inbox's capacity (CAPACITY_REACHED); dispatchers may override.
   */
  async assign(
    auth: Auth,
    conversationId: string,
    staffId: string,
    guard: WriteGuard = {},
  ): Promise<Conversation> {
    const taking = staffId === auth.staffId;
    if (!taking && !can(auth, Permission.AssignConversationsToAnyone)) {
      throw new ForbiddenError('Agents assign conversations only to themselves');
    }
    return this.uow.run(async (tx) => {
      const conversation = await this.requireOpen(tx, auth, conversationId);
      await requireCurrentView(tx, conversation, guard);
      const assignee = await this.access.requireStaff(tx.manager, auth, staffId);
      if (!assignee.active) throw new BadInputError('staffId', `${assignee.name} is deactivated`);
      if (conversation.assigneeId === assignee.id) return conversation;
      if (taking && !can(auth, Permission.AssignConversationsToAnyone)) {
        await this.routing.requireUnderCapacity(tx, assignee.id, conversation.inboxId);
      }
      const previousAssignee = conversation.assigneeId;
      const actor = actorOf(auth);
      await this.assignments.change(tx, conversation, {
        assigneeId: assignee.id,
        reason: RoutingReason.MANUAL,
        actor,
        note: `${actor.name} assigned it to ${assignee.name}`,
      });
      if (previousAssignee)
        this.routing.drainAfterCommit(tx, conversation.organizationId, conversation.inboxId);
      return conversation;
    });
  }

  /** Closing a closed conversation changes nothing; an archived one can no longer change. */
  async close(auth: Auth, conversationId: string, guard: WriteGuard = {}): Promise<Conversation> {
    return this.uow.run(async (tx) => {
      const conversation = await this.access.requireConversation(tx.manager, auth, conversationId, {
        forUpdate: true,
      });
      if (conversation.status === ConversationStatus.CLOSED) return conversation;
      requireNotArchived(conversation);
      await requireCurrentView(tx, conversation, guard);
      await writeChanges(tx.manager, Conversation, conversation, {
        status: ConversationStatus.CLOSED,
        closedAt: new Date(),
      });
      const actor = actorOf(auth);
      emitConversationEvent(tx, conversation, ConversationEventKind.CLOSED, actor);
      this.freedCapacity(tx, conversation);
      await this.locks.ticketMoved(tx, conversation, actor, `${actor.name} closed it`);
      return conversation;
    });
  }

  async archive(auth: Auth, conversationId: string): Promise<Conversation> {
    return this.uow.run(async (tx) => {
      const conversation = await this.access.requireConversation(tx.manager, auth, conversationId, {
        forUpdate: true,
      });
      if (conversation.status === ConversationStatus.ARCHIVED) return conversation;
      const archivedAt = new Date();
      await writeChanges(tx.manager, Conversation, conversation, {
        status: ConversationStatus.ARCHIVED,
        archivedAt,
        closedAt: conversation.closedAt ?? archivedAt,
      });
      const actor = actorOf(auth);
      emitConversationEvent(tx, conversation, ConversationEventKind.ARCHIVED, actor);
      this.freedCapacity(tx, conversation);
      await this.locks.ticketMoved(tx, conversation, actor, `${actor.name} archived it`);
      return conversation;
    });
  }

  /** Deleted conversations are kept (audit) but are NOT_FOUND from then on. */
  async delete(auth: Auth, conversationId: string): Promise<Conversation> {
    return this.uow.run(async (tx) => {
      const conversation = await this.access.requireConversation(tx.manager, auth, conversationId, {
        forUpdate: true,
      });
      await writeChanges(tx.manager, Conversation, conversation, { deletedAt: new Date() });
      const actor = actorOf(auth);
      emitConversationEvent(tx, conversation, ConversationEventKind.DELETED, actor);
      this.freedCapacity(tx, conversation);
      await this.locks.ticketMoved(tx, conversation, actor, `${actor.name} deleted it`);
      return conversation;
    });
  }

  get(auth: Auth, id: string): Promise<Conversation> {
    return this.access.requireConversation(this.uow.dataSource.manager, auth, id);
  }

  list(auth: Auth, filter: ConversationFilter, page: PageRequest): Promise<Page<Conversation>> {
    const visible = this.access.visibleConversations(auth);
    const query = this.uow.dataSource
      .getRepository(Conversation)
      .createQueryBuilder('conversation')
      .where('conversation.organization_id = :org', { org: auth.organizationId })
      .andWhere(`conversation.id IN (SELECT v.id FROM ${visible.from} v)`, visible.parameters);
    const columns = {
      inboxId: 'inbox_id',
      customerId: 'customer_id',
      assigneeId: 'assignee_id',
      status: 'status',
      channel: 'channel',
    };
    for (const [key, column] of Object.entries(columns)) {
      const value = filter[key as keyof ConversationFilter];
      if (value) query.andWhere(`conversation.${column} = :${key}`, { [key]: value });
    }
    return paginate(query, page, { property: 'createdAt', direction: 'DESC' });
  }

  /** An open conversation leaving someone's hands makes room for the queue (R9). */
  private freedCapacity(tx: Tx, conversation: Conversation): void {
    if (conversation.assigneeId)
      this.routing.drainAfterCommit(tx, conversation.organizationId, conversation.inboxId);
  }

  private async requireOpen(tx: Tx, auth: Auth, conversationId: string): Promise<Conversation> {
    const conversation = await this.access.requireConversation(tx.manager, auth, conversationId, {
      forUpdate: true,
    });
    if (conversation.status !== ConversationStatus.OPEN) {
      throw new ConflictError(`The conversation is ${conversation.status.toLowerCase()}`, {
        status: conversation.status,
      });
    }
    return conversation;
  }

  private async requireContactOf(tx: Tx, customer: Customer, contactId: string): Promise<Contact> {
    const contact = await tx.manager.findOneBy(Contact, {
      id: contactId,
      organizationId: customer.organizationId,
    });
    if (!contact || contact.customerId !== customer.id)
      throw new NotFoundError('Contact', contactId);
    return contact;
  }

  /** The named inbox, or the organization's default one. */
  private async inboxFor(tx: Tx, auth: Auth, inboxId: string | null | undefined): Promise<Inbox> {
    if (inboxId) return this.access.requireInbox(tx.manager, auth, inboxId);
    const organization = await tx.manager.findOneByOrFail(Organization, {
      id: auth.organizationId,
    });
    const inbox = organization.defaultInboxId
      ? await tx.manager.findOneBy(Inbox, { id: organization.defaultInboxId })
      : null;
    if (!inbox)
      throw new BadInputError('inboxId', 'The organization has no default inbox: name one');
    return inbox;
  }
}
