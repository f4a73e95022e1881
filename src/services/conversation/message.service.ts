import { isUUID } from 'class-validator';
import type { AccessPolicy } from '../../authz/access-policy';
import { type Auth, actorOf } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { writeChanges } from '../../db/write-changes';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { AuthorKind, ConversationStatus, DeliveryState, Direction } from '../../entities/enums';
import { Message } from '../../entities/message.entity';
import { BadInputError, ConflictError, NotFoundError } from '../../errors/domain-error';
import { ConversationEventKind, NotificationKind } from '../../subscriptions/payloads';
import type { HelperService } from '../helper/helper.service';
import { emitAgentMessage, emitConversationEvent } from './conversation-events';
import { requireNotArchived } from './conversation-rules';
import { type WriteGuard, requireCurrentView } from '../lock/write-guard';
import type { OutboxService } from '../provider/outbox.service';

/** Longest message body accepted. */
export const MAX_BODY_LENGTH = 10_000;

export class MessageService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly helpers: HelperService,
    private readonly outbox: OutboxService,
  ) {}

  /** What the customer wrote (integrations, or staff recording it). Reopens a closed conversation. */
  async postCustomerMessage(auth: Auth, conversationId: string, body: string): Promise<Message> {
    return this.uow.run(async (tx) => {
      const conversation = await this.access.requireConversation(tx.manager, auth, conversationId, {
        forUpdate: true,
      });
      requireNotArchived(conversation);
      if (conversation.status === ConversationStatus.CLOSED) {
        await writeChanges(tx.manager, Conversation, conversation, {
          status: ConversationStatus.OPEN,
          closedAt: null,
        });
        emitConversationEvent(tx, conversation, ConversationEventKind.REOPENED, actorOf(auth));
      }
      const message = await this.append(tx, auth, conversation, body, 'customer');
      await this.helpers.notifyHelpers(
        tx,
        conversation,
        NotificationKind.CUSTOMER_MESSAGE,
        message,
      );
      return message;
    });
  }

  /**
   * A reply from staff. Closed and archived conversations take no replies. On a campaign
   * interaction it goes out through the outbox (C6): written QUEUED with its delivery job, in
   * this transaction; text outside the 24-hour window is refused (REPLY_WINDOW_CLOSED).
   */
  async send(
    auth: Auth,
    conversationId: string,
    content: { body?: string | null; cannedResponseId?: string | null },
    guard: WriteGuard = {},
  ): Promise<Message> {
    return this.uow.run(async (tx) => {
      const conversation = await this.access.requireConversation(tx.manager, auth, conversationId, {
        forUpdate: true,
      });
      if (conversation.status !== ConversationStatus.OPEN) {
        throw new ConflictError(
          `The conversation is ${conversation.status.toLowerCase()}: reopen it first`,
          {
            status: conversation.status,
          },
        );
      }
      await requireCurrentView(tx, conversation, guard);
      if (conversation.campaignId) {
        const reply = await this.outbox.prepare(tx, conversation, content);
        const message = await this.append(
          tx,
          auth,
          conversation,
          reply.body,
          'staff',
          reply.fields,
        );
        await this.outbox.enqueue(tx, conversation.id);
        return message;
      }
      // Canned responses belong to campaigns: none is this conversation's.
      if (content.cannedResponseId)
        throw new NotFoundError('CannedResponse', content.cannedResponseId);
      return this.append(tx, auth, conversation, content.body ?? '', 'staff');
    });
  }

  /**
   * C6: FAILED is final unless an agent retries it. The caller works the message's conversation
   * (it is open); the outbox sends the same message again (see `OutboxService.retry`).
   */
  async retry(auth: Auth, messageId: string): Promise<Message> {
    return this.uow.run(async (tx) => {
      const found = isUUID(messageId)
        ? await tx.manager.findOne(Message, {
            where: { id: messageId, organizationId: auth.organizationId },
            select: { id: true, conversationId: true },
          })
        : null;
      if (!found) throw new NotFoundError('Message', messageId);
      const conversation = await this.access
        .requireConversation(tx.manager, auth, found.conversationId, { forUpdate: true })
        .catch((error: unknown) => {
          // A message of a conversation the caller does not see is missing, as the conversation is.
          throw error instanceof NotFoundError ? new NotFoundError('Message', messageId) : error;
        });
      if (conversation.status !== ConversationStatus.OPEN) {
        throw new ConflictError(
          `The conversation is ${conversation.status.toLowerCase()}: reopen it first`,
          { status: conversation.status },
        );
      }
      const message = await tx.manager.findOneByOrFail(Message, { id: found.id });
      return this.outbox.retry(tx, conversation, message);
    });
  }

  /** Stores a message on a conversation (locked by the caller) and announces it. */
  async append(
    tx: Tx,
    auth: Auth,
    conversation: Conversation,
    rawBody: string,
    from: 'customer' | 'staff',
    fields: Partial<Message> = {},
  ): Promise<Message> {
    const body = rawBody.trim();
    if (!body) throw new BadInputError('body', 'A message needs a body');
    if (body.length > MAX_BODY_LENGTH)
      throw new BadInputError('body', `A message holds at most ${MAX_BODY_LENGTH} characters`);
    const actor = actorOf(auth);
    const message = await tx.manager.save(
      tx.manager.create(Message, {
        organizationId: conversation.organizationId,
        conversationId: conversation.id,
        direction: from === 'customer' ? Direction.INCOMING : Direction.OUTGOING,
        authorKind: from === 'customer' ? AuthorKind.CUSTOMER : actor.kind,
        authorId: from === 'customer' ? null : actor.id,
        body,
        // No provider adapter sends staff replies yet, so "accepted by Tandem" is the truth.
        deliveryState: from === 'customer' ? DeliveryState.RECEIVED : DeliveryState.SENT,
        providerMessageId: null,
        ...fields,
      }),
    );
    conversation.lastMessageAt = message.createdAt;
    await tx.manager.update(
      Conversation,
      { id: conversation.id },
      { lastMessageAt: message.createdAt },
    );
    await this.touchCustomer(tx, conversation);
    emitConversationEvent(tx, conversation, ConversationEventKind.MESSAGE, actor, message);
    emitAgentMessage(tx, conversation, actor, message);
    return message;
  }

  /** Most recent activity first is how dashboards order customers. */
  async touchCustomer(tx: Tx, conversation: Conversation): Promise<void> {
    await tx.manager.update(
      Customer,
      { id: conversation.customerId },
      { lastActivityAt: () => 'now()' },
    );
  }
}
