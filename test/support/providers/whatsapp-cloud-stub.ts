import { createHmac } from 'node:crypto';
import {
  type DeliverOptions,
  type DeliveryAnswer,
  ProviderStubServer,
  type RecordedRequest,
  type StubFailure,
} from './stub-server';

export interface CloudInbound {
  /** The customer, E.164 (`+15551230001`). */
  from: string;
  body: string;
  /** wamid; a new one when omitted. */
  id?: string;
  /** Seconds since the epoch, as Meta sends it; now when omitted. */
  timestamp?: number;
  profileName?: string;
}

export interface CloudStatus {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp?: number;
  recipient?: string;
  error?: { code: number; title: string; details?: string };
}

/** Meta's error body for a failed Graph API call. */
function metaError(failure: StubFailure): unknown {
  return {
    error: {
      message: failure.message ?? `(#${failure.code ?? failure.status}) stub failure`,
      type: failure.status === 401 ? 'OAuthException' : 'GraphMethodException',
      code: failure.code ?? failure.status,
      error_data: { messaging_product: 'whatsapp', details: failure.message ?? 'stub failure' },
      fbtrace_id: 'AbCdEfStub',
    },
  };
}

/**
 * Meta's WhatsApp Cloud API, as a test sees it: `POST /v21.0/{phoneNumberId}/messages` with the
 * bearer token (anything else is Meta's 401, code 190), answering `{ messages: [{ id: wamid }] }`;
 * and webhooks (messages, statuses) signed with the app secret as Meta signs them.
 */
export class WhatsAppCloudStub extends ProviderStubServer {
  readonly phoneNumberId = '109876543210987';
  readonly businessAccountId = '102030405060708';
  readonly accountNumber: string;
  accessToken = 'EAAG-stub-access-token';
  readonly appSecret = 'stub-app-secret-3f1c';
  readonly verifyToken = 'stub-verify-token';
  /** wamids returned by sends, in order. */
  readonly sentIds: string[] = [];

  constructor(accountNumber = '+15550001000') {
    super();
    this.accountNumber = accountNumber;
  }

  /** `apiBaseUrl` of a provider that speaks to this stub (with the API version, as Meta's). */
  get apiBaseUrl(): string {
    return `${this.url}/v21.0`;
  }

  /** The fields of `createProvider` for this stub. */
  providerInput(name = 'Meta stub'): Record<string, string> {
    return {
      name,
      kind: 'WHATSAPP_CLOUD',
      apiBaseUrl: this.apiBaseUrl,
      accountNumber: this.accountNumber,
      phoneNumberId: this.phoneNumberId,
      businessAccountId: this.businessAccountId,
      accessToken: this.accessToken,
      appSecret: this.appSecret,
      verifyToken: this.verifyToken,
    };
  }

  /** The JSON bodies of the sends received, in order; with `accepted`, those answered 2xx only. */
  sends({ accepted = false }: { accepted?: boolean } = {}): Array<{
    to: string;
    type: string;
    text?: { body: string };
    template?: { name: string };
  }> {
    return this.received
      .filter((r) => r.method === 'POST' && r.path.endsWith('/messages'))
      .filter((r) => !accepted || (r.status !== undefined && r.status < 300))
      .map((r) => JSON.parse(r.body) as ReturnType<WhatsAppCloudStub['sends']>[number]);
  }

  protected recipientOf(request: RecordedRequest): string | undefined {
    try {
      const to = (JSON.parse(request.body) as { to?: string }).to;
      return to ? `+${to}` : undefined;
    } catch {
      return undefined;
    }
  }

  protected handle(request: RecordedRequest, fail: StubFailure | undefined) {
    if (request.method !== 'POST' || request.path !== `/v21.0/${this.phoneNumberId}/messages`) {
      return { status: 404, body: metaError({ status: 404, code: 100, message: 'Unknown path' }) };
    }
    if (request.headers.authorization !== `Bearer ${this.accessToken}`) {
      return {
        status: 401,
        body: metaError({ status: 401, code: 190, message: 'Error validating access token' }),
      };
    }
    if (fail) {
      return {
        status: fail.status,
        body: metaError(fail),
        headers: fail.retryAfter ? { 'retry-after': String(fail.retryAfter) } : undefined,
      };
    }
    const payload = JSON.parse(request.body) as { to: string };
    const id = this.newId('wamid.HBgL');
    this.sentIds.push(id);
    return {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: payload.to, wa_id: payload.to }],
        messages: [{ id }],
      },
    };
  }

  /** A notification with these inbound messages (several in one delivery when given several). */
  inboundBody(messages: CloudInbound[]): string {
    return this.notification({
      contacts: messages.map((m) => ({
        profile: { name: m.profileName ?? 'Customer' },
        wa_id: m.from.replace('+', ''),
      })),
      messages: messages.map((m) => ({
        from: m.from.replace('+', ''),
        id: m.id ?? this.newId('wamid.IN'),
        timestamp: String(m.timestamp ?? Math.floor(Date.now() / 1000)),
        type: 'text',
        text: { body: m.body },
      })),
    });
  }

  /** A notification with these status updates, in the order given. */
  statusBody(statuses: CloudStatus[]): string {
    return this.notification({
      statuses: statuses.map((s) => ({
        id: s.id,
        status: s.status,
        timestamp: String(s.timestamp ?? Math.floor(Date.now() / 1000)),
        recipient_id: (s.recipient ?? '15551230001').replace('+', ''),
        ...(s.error
          ? {
              errors: [
                {
                  code: s.error.code,
                  title: s.error.title,
                  message: s.error.title,
                  error_data: { details: s.error.details ?? s.error.title },
                },
              ],
            }
          : {}),
      })),
    });
  }

  /** `X-Hub-Signature-256` of these bytes with `secret` (the app secret by default). */
  sign(body: string | Buffer, secret = this.appSecret): string {
    return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  }

  /** Posts a webhook to `url` as Meta does: JSON, signed over the exact bytes sent. */
  deliver(url: string, body: string, options: DeliverOptions = {}): Promise<DeliveryAnswer[]> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const signature = options.signature ?? 'valid';
    if (signature !== 'missing') {
      headers['x-hub-signature-256'] = this.sign(
        body,
        signature === 'bad' ? 'not-the-app-secret' : this.appSecret,
      );
    }
    return this.post(url, body, headers, options);
  }

  private notification(value: Record<string, unknown>): string {
    return JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: this.businessAccountId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: this.accountNumber.replace('+', ''),
                  phone_number_id: this.phoneNumberId,
                },
                ...value,
              },
            },
          ],
        },
      ],
    });
  }
}
