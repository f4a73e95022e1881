import type { AccessPolicy } from '../../authz/access-policy';
import { type Auth, actorOf } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { writeChanges } from '../../db/write-changes';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { AuthorKind, ConversationStatus, DeliveryState, Direction } from '../../entities/enums';
import { Message } from '../../entities/message.entity';
import { BadInputError, ConflictError } from '../../errors/domain-error';
import { ConversationEventKind, NotificationKind } from '../../subscriptions/payloads';
import type { HelperService } from '../helper/helper.service';
import { emitAgentMessage, emitConversationEvent } from './conversation-events';
import { requireNotArchived } from './conversation-rules';
import { type WriteGuard, requireCurrentView } from '../lock/write-guard';

/** Longest message body accepted. */
export const MAX_BODY_LENGTH = 10_000;

export class MessageService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly helpers: HelperService,
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

  /** A reply from staff. Closed and archived conversations take no replies. */
  async send(
    auth: Auth,
    conversationId: string,
    body: string,
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
      return this.append(tx, auth, conversation, body, 'staff');
    });
  }

  /** Stores a message on a conversation (locked by the caller) and announces it. */
  async append(
    tx: Tx,
    auth: Auth,
    conversation: Conversation,
    rawBody: string,
    from: 'customer' | 'staff',
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
