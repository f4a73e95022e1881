import type { Config } from '../../config';
import { SYSTEM_ACTOR } from '../../context/auth';
import { aliasedColumns, hydrate } from '../../db/rows';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Campaign } from '../../entities/campaign.entity';
import { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';
import {
  AuthorKind,
  Channel,
  ContactKind,
  ConversationStatus,
  DeliveryState,
  Direction,
  RoutingReason,
} from '../../entities/enums';
import { Message } from '../../entities/message.entity';
import { Provider } from '../../entities/provider.entity';
import { NotFoundError } from '../../errors/domain-error';
import { ConversationEventKind } from '../../subscriptions/payloads';
import { emitConversationEvent } from '../conversation/conversation-events';
import { MAX_BODY_LENGTH } from '../conversation/message.service';
import { normalizePhone } from '../customer/contact-value';
import type { CustomerService } from '../customer/customer.service';
import { InboundStore, inboundLockKey } from './inbound.store';
import { emitQueueEvent, QueueEventKind } from './queue-events';

/**
 * A message a provider delivered to one of our numbers, as an adapter parsed it from a verified
 * webhook (or `ingestProviderMessage` from an INTEGRATION key). The contract between the
 * provider side (adapters, webhook jobs) and the campaign side.
 */
export interface InboundMessage {
  /** The provider (number) it came through: its campaign is the provider's enabled one. */
  providerId: string;
  /** The provider's id of the message (Meta's `wamid...`, Twilio's `SM...`): stored once. */
  providerMessageId: string;
  /** The customer's number, E.164 (normalized again here). */
  from: string;
  /** Our number it was sent to, E.164. */
  to: string;
  /** The text (for media: the caption, or a short description such as "[image]"). */
  body: string;
  /** When the customer sent it, by the provider's clock: the 24-hour window runs from it. */
  providerTimestamp: Date;
  /** `text`, `image`, `audio`, `template`, ... as the provider names it. */
  contentType: string;
  /** The customer's profile name, when the provider gives one: names a new customer. */
  profileName?: string | null;
  /**
   * When the reply window this message opens closes (WhatsApp: 24 h after `providerTimestamp`):
   * the interaction's window moves to it, never earlier, in the message's own transaction.
   */
  replyWindowClosesAt?: Date | null;
}

export interface InboundResult {
  conversationId: string;
  messageId: string;
  /** The provider message id was already stored: nothing was written. */
  duplicate: boolean;
}

/**
 * What a new interaction of a campaign with a number is, whoever starts it (the customer, C3, or
 * an agent, C16): the number's customer and contact, on WhatsApp, in the campaign's inbox, and
 * nobody's yet (a queued one waits for a taker; an outgoing one is assigned next, with its event).
 */
export function interactionWith(campaign: Campaign, contact: Contact) {
  return {
    organizationId: campaign.organizationId,
    customerId: contact.customerId,
    contactId: contact.id,
    channel: Channel.WHATSAPP,
    inboxId: campaign.inboxId,
    campaignId: campaign.id,
    assigneeId: null,
  };
}

/** Thrown inside the transaction when the unique index finds the message already stored. */
class AlreadyStored extends Error {}

/**
 * C3: an inbound message joins the open interaction of that number in that campaign, or opens
 * a new one waiting in the campaign's queue. An unknown number becomes a customer with that
 * contact. The same provider message stored twice is impossible: the message row is inserted
 * with ON CONFLICT DO NOTHING on (provider_id, provider_message_id), the last write of the
 * transaction; a conflict rolls everything back and answers the stored message.
 */
export class InboundService {
  private readonly targets = new InboundStore();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly customers: CustomerService,
    private readonly config: Config,
  ) {}

  async receive(message: InboundMessage): Promise<InboundResult> {
    // No look first: the insert's ON CONFLICT is the one guard (a provider's retry is rare, and
    // a look would cost every new message a statement).
    try {
      return await this.uow.run((tx) => this.storeIn(tx, message));
    } catch (error) {
      if (!(error instanceof AlreadyStored)) throw error;
      const winner = await this.find(message.providerId, message.providerMessageId);
      if (!winner) throw new Error('A conflicting provider message vanished');
      return { ...winner, duplicate: true };
    }
  }

  private async storeIn(tx: Tx, inbound: InboundMessage): Promise<InboundResult> {
    const number = normalizePhone(inbound.from, 'from', this.config.defaultPhoneCountry);
    // The provider's campaign (it names the organization: no read of the provider itself), the
    // number's contact, locked, made if new, and the interaction it joins: one statement.
    const target = await this.targets.target(
      tx.manager,
      inbound.providerId,
      number,
      inbound.profileName?.trim() || number,
    );
    if (!target) throw new NotFoundError('Campaign');
    const { campaign, contact, joins: open } = target;
    // A new interaction is written with its first message, its last message time and its window
    // already set, in one statement.
    const { conversation, message } = open
      ? { conversation: open, message: await this.insertMessage(tx, open, inbound) }
      : await this.newInteraction(tx, campaign, contact, inbound);
    if (open) {
      // The window only ever moves later: a delayed older message does not shorten it.
      const [touched] = (await tx.manager.query(
        `UPDATE conversation
            SET last_message_at = $2, updated_at = now(),
                reply_window_closes_at = greatest(reply_window_closes_at, $3::timestamptz)
          WHERE id = $1
          RETURNING updated_at, reply_window_closes_at`,
        [conversation.id, message.createdAt, inbound.replyWindowClosesAt ?? null],
      )) as Array<{ updated_at: Date; reply_window_closes_at: Date | null }>;
      conversation.lastMessageAt = message.createdAt;
      conversation.updatedAt = touched?.updated_at ?? conversation.updatedAt;
      conversation.replyWindowClosesAt = touched?.reply_window_closes_at ?? null;
    }
    emitConversationEvent(tx, conversation, ConversationEventKind.MESSAGE, SYSTEM_ACTOR, message);
    return { conversationId: conversation.id, messageId: message.id, duplicate: false };
  }

  /**
   * The contact of a number (an unknown number becomes a customer with that contact, E.164),
   * the number locked for this provider until the transaction ends: one number of one provider
   * at a time, so two first messages of a new customer arriving at once (or a message and an
   * agent's outgoing start, C16) make one customer and one interaction, not two.
   */
  async lockedContact(
    tx: Tx,
    provider: Pick<Provider, 'id' | 'organizationId'>,
    rawNumber: string,
    field: string,
    profileName?: string | null,
  ): Promise<Contact> {
    const number = normalizePhone(rawNumber, field, this.config.defaultPhoneCountry);
    await tx.manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      inboundLockKey(provider.id, number),
    ]);
    return this.contactFor(tx, provider.organizationId, number, profileName);
  }

  private async contactFor(
    tx: Tx,
    organizationId: string,
    number: string,
    profileName?: string | null,
  ): Promise<Contact> {
    const existing = await tx.manager.findOneBy(Contact, {
      organizationId,
      kind: ContactKind.PHONE,
      value: number,
    });
    if (existing) return existing;
    const customer = await this.customers.insertIn(tx, organizationId, {
      name: profileName?.trim() || number,
      phone: number,
    });
    return tx.manager.findOneByOrFail(Contact, {
      organizationId,
      customerId: customer.id,
      kind: ContactKind.PHONE,
      value: number,
    });
  }

  /**
   * A new interaction with its first message: waiting in the campaign's queue from now
   * (ARRIVED), or, for a disabled campaign, closed at once and kept on the customer's contact
   * (never queued, never lost). Its times are the transaction's now(), as its message's
   * createdAt is. The message already stored (its provider id) writes nothing: AlreadyStored.
   */
  private async newInteraction(
    tx: Tx,
    campaign: Campaign,
    contact: Contact,
    inbound: InboundMessage,
  ): Promise<{ conversation: Conversation; message: Message }> {
    const waiting = campaign.enabled;
    const dataSource = tx.manager.connection;
    const interaction = interactionWith(campaign, contact);
    const [row] = (await tx.manager.query(
      `WITH c AS (
         INSERT INTO conversation (organization_id, customer_id, contact_id, channel, inbox_id,
             campaign_id, assignee_id, status, closed_at, direction, subject, routing_reason,
             waiting_since, last_message_at, reply_window_closes_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, CASE WHEN $8::boolean THEN NULL ELSE now() END,
                 $9, NULL, $10, CASE WHEN $8::boolean THEN now() END, now(), $11)
         RETURNING *
       ), m AS (
         ${INSERT_MESSAGE} SELECT c.organization_id, c.id, $12, $13, NULL, $14, $15, $16, $17, $18, $19 FROM c
         ${ON_STORED_MESSAGE}
       )
       SELECT ${aliasedColumns(dataSource, Conversation, 'c')}, ${aliasedColumns(dataSource, Message, 'm')}
         FROM c LEFT JOIN m ON true`,
      [
        interaction.organizationId,
        interaction.customerId,
        interaction.contactId,
        interaction.channel,
        interaction.inboxId,
        interaction.campaignId,
        waiting ? ConversationStatus.OPEN : ConversationStatus.CLOSED,
        waiting,
        Direction.INCOMING,
        waiting ? RoutingReason.QUEUE : RoutingReason.CAMPAIGN_DISABLED,
        inbound.replyWindowClosesAt ?? null,
        ...messageValues(inbound),
      ],
    )) as Array<Record<string, unknown>>;
    if (!row?.m_id) throw new AlreadyStored();
    const conversation = hydrate(dataSource, Conversation, row, 'c');
    emitConversationEvent(tx, conversation, ConversationEventKind.CREATED, SYSTEM_ACTOR);
    if (waiting) {
      emitConversationEvent(tx, conversation, ConversationEventKind.QUEUED, SYSTEM_ACTOR);
      emitQueueEvent(
        tx,
        campaign,
        QueueEventKind.ARRIVED,
        conversation,
        contact.value,
        SYSTEM_ACTOR,
      );
    }
    return { conversation, message: hydrate(dataSource, Message, row, 'm') };
  }

  private async insertMessage(
    tx: Tx,
    conversation: Conversation,
    inbound: InboundMessage,
  ): Promise<Message> {
    const rows = (await tx.manager.query(
      `${INSERT_MESSAGE} VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9, $10) ${ON_STORED_MESSAGE}`,
      [conversation.organizationId, conversation.id, ...messageValues(inbound)],
    )) as Array<Record<string, unknown>>;
    if (!rows[0]) throw new AlreadyStored();
    return hydrate(tx.manager.connection, Message, rows[0]);
  }

  private async find(
    providerId: string,
    providerMessageId: string,
  ): Promise<Omit<InboundResult, 'duplicate'> | null> {
    const message = await this.uow.dataSource.manager.findOne(Message, {
      where: { providerId, providerMessageId },
      select: { id: true, conversationId: true },
    });
    return message ? { conversationId: message.conversationId, messageId: message.id } : null;
  }
}

/** A customer's message as stored: the columns `messageValues` fills, after its organization and conversation. */
const INSERT_MESSAGE = `INSERT INTO message (organization_id, conversation_id, direction, author_kind,
    author_id, body, delivery_state, provider_id, provider_message_id, provider_timestamp, content_type)`;

/** The one guard against storing a provider's message twice: its unique index (no look first). */
const ON_STORED_MESSAGE = `ON CONFLICT (provider_id, provider_message_id)
    WHERE provider_id IS NOT NULL AND provider_message_id IS NOT NULL
    DO NOTHING
  RETURNING *`;

/** The message's values after its organization, conversation and author id (NULL). */
function messageValues(inbound: InboundMessage): unknown[] {
  const body = inbound.body.trim().slice(0, MAX_BODY_LENGTH) || `[${inbound.contentType}]`;
  return [
    Direction.INCOMING,
    AuthorKind.CUSTOMER,
    body,
    DeliveryState.RECEIVED,
    inbound.providerId,
    inbound.providerMessageId,
    inbound.providerTimestamp,
    inbound.contentType,
  ];
}
