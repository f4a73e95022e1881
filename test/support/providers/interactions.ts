import type { Campaign } from '../../../src/entities/campaign.entity';
import type { Conversation } from '../../../src/entities/conversation.entity';
import { Channel, ContactKind } from '../../../src/entities/enums';
import type { Org } from '../factories';

export interface InteractionOptions {
  /** The customer's number (E.164). */
  phone: string;
  /** When the customer's 24-hour window closes (default: in an hour; null: never opened). */
  replyWindowClosesAt?: Date | null;
}

/**
 * A campaign interaction as inbound processing leaves one (a WHATSAPP conversation of the
 * campaign's inbox, on the customer's number), made directly, for the outbox's own tests.
 */
export async function newCampaignInteraction(
  org: Org,
  campaign: Campaign,
  { phone, replyWindowClosesAt = new Date(Date.now() + 3_600_000) }: InteractionOptions,
): Promise<Conversation> {
  const { services, dataSource } = org.server;
  const customer = await services.customers.create(org.admin.auth, {
    name: `Customer ${phone}`,
    phone,
  });
  const contact = await services.customers.addContact(
    org.admin.auth,
    customer.id,
    ContactKind.PHONE,
    phone,
  );
  const conversation = await services.conversations.start(org.admin.auth, {
    customerId: customer.id,
    contactId: contact.id,
    channel: Channel.WHATSAPP,
    inboxId: campaign.inboxId,
  });
  await dataSource.query(
    'UPDATE conversation SET campaign_id = $2, reply_window_closes_at = $3 WHERE id = $1',
    [conversation.id, campaign.id, replyWindowClosesAt],
  );
  return Object.assign(conversation, { campaignId: campaign.id, replyWindowClosesAt });
}
