import type { ProviderAdapter, ProviderKindName } from './provider-adapter';
import { TwilioAdapter } from './twilio.adapter';
import { WhatsAppCloudAdapter } from './whatsapp-cloud.adapter';

export * from './provider-adapter';

const ADAPTERS: Record<ProviderKindName, ProviderAdapter> = {
  WHATSAPP_CLOUD: new WhatsAppCloudAdapter(),
  TWILIO: new TwilioAdapter(),
};

/** The adapter that speaks to providers of this kind. */
export function adapterFor(kind: ProviderKindName): ProviderAdapter {
  return ADAPTERS[kind];
}
