import { randomBytes, randomUUID } from 'node:crypto';
import type { Campaign } from '../../src/entities/campaign.entity';
import type { Provider } from '../../src/entities/provider.entity';
import { ProviderKind } from '../../src/entities/provider.entity';
import type { NewCampaignFields } from '../../src/services/campaign/campaign.service';
import type { InboundMessage } from '../../src/services/campaign/inbound.service';
import type { ProviderFields } from '../../src/services/provider/provider.service';
import type { Member, Org } from './factories';
import type { TandemServer } from '../../src/server';

const unique = () => randomBytes(4).toString('hex');

/** A distinct, valid (possible) E.164 number for each call. */
export function newPhoneNumber(): string {
  return `+1415555${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
}

/** A WhatsApp Cloud provider with every secret set (override any field). */
export function newWhatsAppProvider(org: Org, fields: ProviderFields = {}): Promise<Provider> {
  return org.server.services.providers.create(org.admin.auth, {
    name: `WhatsApp ${unique()}`,
    kind: ProviderKind.WHATSAPP_CLOUD,
    accountNumber: newPhoneNumber(),
    phoneNumberId: `pn-${unique()}`,
    businessAccountId: `waba-${unique()}`,
    accessToken: `EAAG-${unique()}`,
    appSecret: `app-secret-${unique()}`,
    verifyToken: `verify-${unique()}`,
    ...fields,
  });
}

/** A Twilio provider (override any field). */
export function newTwilioProvider(org: Org, fields: ProviderFields = {}): Promise<Provider> {
  return org.server.services.providers.create(org.admin.auth, {
    name: `Twilio ${unique()}`,
    kind: ProviderKind.TWILIO,
    accountNumber: newPhoneNumber(),
    accountSid: `AC${randomBytes(16).toString('hex')}`,
    authToken: randomBytes(16).toString('hex'),
    ...fields,
  });
}

export interface NewCampaignOptions extends Partial<Omit<NewCampaignFields, 'memberIds'>> {
  provider?: Provider;
  members?: Member[];
}

/** An enabled campaign on its own new WhatsApp provider unless one is given. */
export async function newCampaign(org: Org, options: NewCampaignOptions = {}): Promise<Campaign> {
  const { provider, members, ...fields } = options;
  return org.server.services.campaigns.create(org.admin.auth, {
    name: `Campaign ${unique()}`,
    providerId: (provider ?? (await newWhatsAppProvider(org))).id,
    maxInteractionsPerAgent: 3,
    serviceLevelSeconds: 20,
    abandonAfterSeconds: 300,
    memberIds: (members ?? []).map((member) => member.staff.id),
    ...fields,
  });
}

let arrivals = 0;

/** A customer writes to the campaign's number (a new number unless given): an interaction waits. */
export function newArrival(
  server: TandemServer,
  campaign: Pick<Campaign, 'providerId'>,
  from = `+3491124${String(1000 + (arrivals++ % 9000)).padStart(4, '0')}`,
) {
  const message: InboundMessage = {
    providerId: campaign.providerId as string,
    providerMessageId: `wamid.${randomUUID()}`,
    from,
    to: '+14155550100',
    body: 'Hola',
    providerTimestamp: new Date(),
    contentType: 'text',
  };
  return server.services.inbound.receive(message);
}
