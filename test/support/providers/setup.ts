import { randomBytes } from 'node:crypto';
import type { Campaign } from '../../../src/entities/campaign.entity';
import { type Provider, ProviderKind } from '../../../src/entities/provider.entity';
import type { ProviderFields } from '../../../src/services/provider/provider.service';
import { newCampaign, type NewCampaignOptions } from '../campaigns';
import { eventually, type Org } from '../factories';
import type { TwilioStub } from './twilio-stub';
import type { WhatsAppCloudStub } from './whatsapp-cloud-stub';

/** A provider of the organization that speaks to this stub. */
export function providerOnStub(org: Org, stub: WhatsAppCloudStub | TwilioStub): Promise<Provider> {
  const { kind, ...fields } = stub.providerInput(`Stub ${randomBytes(4).toString('hex')}`);
  return org.server.services.providers.create(org.admin.auth, {
    ...(fields as unknown as ProviderFields & { name: string; accountNumber: string }),
    kind: kind as ProviderKind,
  });
}

/** An enabled campaign on a provider that speaks to this stub. */
export async function campaignOnStub(
  org: Org,
  stub: WhatsAppCloudStub | TwilioStub,
  options: NewCampaignOptions = {},
): Promise<{ campaign: Campaign; provider: Provider }> {
  const provider = await providerOnStub(org, stub);
  return { provider, campaign: await newCampaign(org, { ...options, provider }) };
}

/** The URL the provider posts its webhooks to. */
export function webhookUrl(org: Org, provider: Provider): string {
  return org.server.url.replace(/\/graphql$/, `/webhooks/providers/${provider.id}`);
}

/** A message's delivery as stored. */
export async function deliveryOf(
  org: Org,
  messageId: string,
): Promise<{
  deliveryState: string;
  providerMessageId: string | null;
  deliveryErrorCode: string | null;
  deliveryErrorReason: string | null;
  sendAttempts: number;
}> {
  const [row] = (await org.server.dataSource.query(
    `SELECT delivery_state AS "deliveryState", provider_message_id AS "providerMessageId",
            delivery_error_code AS "deliveryErrorCode", delivery_error_reason AS "deliveryErrorReason",
            send_attempts AS "sendAttempts"
       FROM message WHERE id = $1`,
    [messageId],
  )) as Array<Awaited<ReturnType<typeof deliveryOf>>>;
  if (!row) throw new Error(`no message ${messageId}`);
  return row;
}

/** The conversation of the organization's message with this text, once the webhook's job stored it. */
export async function conversationOfMessage(org: Org, body: string): Promise<string> {
  let conversationId: string | undefined;
  await eventually(
    async () => {
      const [row] = (await org.server.dataSource.query(
        'SELECT conversation_id FROM message WHERE organization_id = $1 AND body = $2',
        [org.id, body],
      )) as Array<{ conversation_id: string }>;
      conversationId = row?.conversation_id;
      return conversationId !== undefined;
    },
    10_000,
    `the message "${body}" stored`,
  );
  return conversationId as string;
}
