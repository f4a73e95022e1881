import type { Config } from '../../config';
import { SYSTEM_ACTOR } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import type { Campaign } from '../../entities/campaign.entity';
import { Contact } from '../../entities/contact.entity';
import { Channel, ContactKind } from '../../entities/enums';
import type { Provider } from '../../entities/provider.entity';
import { NotFoundError } from '../../errors/domain-error';
import { MAX_BODY_LENGTH } from '../conversation/message.service';
import { normalizePhone } from '../customer/contact-value';
import type { CustomerService } from '../customer/customer.service';
import { InboundStore, inboundLockKey } from './inbound.store';

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
   * the interaction's window moves to it, never earlier, in the message's own statement.
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

/**
 * C3: an inbound message joins the open interaction of that number in that campaign, or opens
 * a new one waiting in the campaign's queue. An unknown number becomes a customer with that
 * contact. The same provider message stored twice is impossible: the message row is inserted
 * with ON CONFLICT DO NOTHING on (provider_id, provider_message_id); a conflict undoes that
 * message's writes and answers the stored message. The rules are one SQL function
 * (`tandem_inbound_receive`, inbound.sql): a delivery's messages cost one statement.
 */
export class InboundService {
  private readonly store = new InboundStore();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly customers: CustomerService,
    private readonly config: Config,
  ) {}

  async receive(message: InboundMessage): Promise<InboundResult> {
    const [result] = await this.receiveAll(message.providerId, [message]);
    if (!result) throw new Error('tandem_inbound_receive answered no result');
    return result;
  }

  /**
   * The messages of one delivery, in order, in one statement that commits on its own (their
   * events published once it has); with `webhookId`, the delivery they came in is marked
   * processed in the same commit. NOT_FOUND when the provider serves no campaign: nothing is
   * written.
   */
  async receiveAll(
    providerId: string,
    messages: ReadonlyArray<Omit<InboundMessage, 'providerId'>>,
    webhookId: string | null = null,
  ): Promise<InboundResult[]> {
    const rows = messages.map((inbound) => {
      const from = normalizePhone(inbound.from, 'from', this.config.defaultPhoneCountry);
      return {
        from,
        name: inbound.profileName?.trim() || from,
        body: inbound.body.trim().slice(0, MAX_BODY_LENGTH) || `[${inbound.contentType}]`,
        providerMessageId: inbound.providerMessageId,
        providerTimestamp: inbound.providerTimestamp,
        contentType: inbound.contentType,
        windowClosesAt: inbound.replyWindowClosesAt ?? null,
      };
    });
    const stored = await this.store.receive(
      this.uow.dataSource,
      providerId,
      rows,
      SYSTEM_ACTOR,
      webhookId,
    );
    if (!stored) throw new NotFoundError('Campaign');
    if (stored.events.length) this.uow.publishEvents(stored.events);
    for (const result of stored.results) {
      // A conflicting message deleted before it could be read: the job's retry stores it anew.
      if (!result.messageId) throw new Error('A conflicting provider message vanished');
    }
    return stored.results;
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
}
