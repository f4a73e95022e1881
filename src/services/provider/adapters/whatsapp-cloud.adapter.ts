import { callProvider, headerOf, isFailure, retryAfterMsOf } from './http-call';
import type {
  DeliveryUpdateState,
  FailureClass,
  OutboundMessage,
  ProviderAdapter,
  ProviderSettings,
  SendFailure,
  SendResult,
  WebhookEvent,
  WebhookRequest,
} from './provider-adapter';
import { metaSignature, signaturesEqual } from './signatures';

/**
 * Meta's error codes that Tandem reads (developers.facebook.com/docs/whatsapp/cloud-api/support/
 * error-codes); any other 4xx is a permanent failure of that one message.
 */
const RATE_LIMITED = new Set([
  '4', // application request limit
  '80007', // WhatsApp Business Account rate limit
  '130429', // Cloud API throughput reached
  '131048', // spam rate limit
  '131056', // (business, consumer) pair rate limit
]);
const TRANSIENT = new Set([
  '1', // API unknown
  '2', // API service temporarily unavailable
  '131000', // something went wrong
  '131016', // service unavailable
  '133004', // server temporarily unavailable
]);
const CREDENTIALS_REFUSED = new Set([
  '0', // AuthException
  '3', // capability / permission
  '10', // permission denied
  '190', // access token expired or invalid
  '200', // permission
  '131005', // access denied
]);
/** Outside the 24-hour customer-service window: only a template may be sent. */
const NEEDS_TEMPLATE = new Set(['131047']);

/** Meta's WhatsApp Cloud API (Graph API `/{phone-number-id}/messages`, webhooks of the WABA). */
export class WhatsAppCloudAdapter implements ProviderAdapter {
  readonly kind = 'WHATSAPP_CLOUD' as const;

  async send(settings: ProviderSettings, message: OutboundMessage): Promise<SendResult> {
    const { accessToken } = settings.secrets;
    if (!settings.phoneNumberId || !accessToken) {
      return failed(
        'PROVIDER_FAILING',
        'CONFIGURATION',
        'phoneNumberId or accessToken missing',
        null,
      );
    }
    const to = message.to.replace(/^\+/, '');
    const payload =
      message.content.kind === 'TEXT'
        ? { type: 'text', text: { preview_url: false, body: message.content.body } }
        : {
            type: 'template',
            template: {
              name: message.content.name,
              language: { code: message.content.language },
              ...(message.content.parameters?.length
                ? {
                    components: [
                      {
                        type: 'body',
                        parameters: message.content.parameters.map((text) => ({
                          type: 'text',
                          text,
                        })),
                      },
                    ],
                  }
                : {}),
            },
          };
    const answer = await callProvider(
      `${trimSlash(settings.apiBaseUrl)}/${encodeURIComponent(settings.phoneNumberId)}/messages`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to,
          ...payload,
        }),
      },
    );
    if (isFailure(answer)) return { ok: false, failure: answer };
    const id = (answer.json as { messages?: Array<{ id?: unknown }> } | null)?.messages?.[0]?.id;
    if (answer.status >= 200 && answer.status < 300 && typeof id === 'string') {
      return { ok: true, providerMessageId: id };
    }
    const error = (answer.json as { error?: MetaError } | null)?.error;
    return {
      ok: false,
      failure: {
        ...classifyMetaError(answer.status, error),
        retryAfterMs: retryAfterMsOf(answer.headers),
      },
    };
  }

  verify(settings: ProviderSettings, request: WebhookRequest): boolean {
    const given = headerOf(request.headers, 'x-hub-signature-256');
    const secret = settings.secrets.appSecret;
    if (!given || !secret) return false;
    return signaturesEqual(metaSignature(secret, request.rawBody), given);
  }

  handshake(settings: ProviderSettings, query: Record<string, unknown>): string | null {
    const expected = settings.secrets.verifyToken;
    const given = query['hub.verify_token'];
    const challenge = query['hub.challenge'];
    if (query['hub.mode'] !== 'subscribe' || !expected || typeof given !== 'string') return null;
    if (typeof challenge !== 'string' || !signaturesEqual(expected, given)) return null;
    return challenge;
  }

  parse(settings: ProviderSettings, request: WebhookRequest): WebhookEvent[] {
    const notification = JSON.parse(request.rawBody.toString('utf8')) as MetaNotification;
    const events: WebhookEvent[] = [];
    for (const entry of notification.entry ?? []) {
      for (const change of entry.changes ?? []) {
        if (change.field !== 'messages' || !change.value) continue;
        const value = change.value;
        const to = e164(value.metadata?.display_phone_number) ?? settings.accountNumber;
        const names = new Map((value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
        for (const message of value.messages ?? []) {
          const from = e164(message.from);
          if (!message.id || !from) continue;
          events.push({
            kind: 'MESSAGE',
            providerMessageId: message.id,
            from,
            to,
            ...contentOf(message),
            providerTimestamp: fromSeconds(message.timestamp),
            profileName: names.get(message.from) ?? undefined,
          });
        }
        for (const status of value.statuses ?? []) {
          const state = STATUS_STATES[status.status ?? ''];
          if (!status.id || !state) continue;
          const error = status.errors?.[0];
          events.push({
            kind: 'STATUS',
            providerMessageId: status.id,
            state,
            at: fromSeconds(status.timestamp),
            ...(state === 'FAILED'
              ? {
                  errorCode: String(error?.code ?? 'UNKNOWN'),
                  errorReason:
                    error?.error_data?.details ?? error?.message ?? error?.title ?? 'failed',
                  failureClass: classifyMetaError(400, error).failureClass,
                }
              : {}),
          });
        }
      }
    }
    return events;
  }
}

interface MetaError {
  message?: string;
  title?: string;
  code?: number | string;
  error_subcode?: number;
  error_data?: { details?: string };
}

interface MetaMessage {
  from?: string;
  id?: string;
  timestamp?: string;
  type?: string;
  text?: { body?: string };
  button?: { text?: string };
  interactive?: { button_reply?: { title?: string }; list_reply?: { title?: string } };
  reaction?: { emoji?: string };
  location?: { latitude?: number; longitude?: number; name?: string };
  [media: string]: unknown;
}

interface MetaNotification {
  object?: string;
  entry?: Array<{
    id?: string;
    changes?: Array<{
      field?: string;
      value?: {
        metadata?: { display_phone_number?: string; phone_number_id?: string };
        contacts?: Array<{ wa_id?: string; profile?: { name?: string } }>;
        messages?: MetaMessage[];
        statuses?: Array<{
          id?: string;
          status?: string;
          timestamp?: string;
          recipient_id?: string;
          errors?: MetaError[];
        }>;
      };
    }>;
  }>;
}

const STATUS_STATES: Record<string, DeliveryUpdateState> = {
  sent: 'SENT',
  delivered: 'DELIVERED',
  read: 'READ',
  failed: 'FAILED',
};

/** How Meta's answer to a send is read (C6). */
export function classifyMetaError(
  status: number,
  error: MetaError | undefined,
): Omit<SendFailure, 'retryAfterMs'> {
  const code = error?.code === undefined ? String(status) : String(error.code);
  const reason = error?.error_data?.details ?? error?.message ?? error?.title ?? `HTTP ${status}`;
  let failureClass: FailureClass;
  if (NEEDS_TEMPLATE.has(code)) failureClass = 'NEEDS_TEMPLATE';
  else if (status === 429 || RATE_LIMITED.has(code)) failureClass = 'RETRY';
  else if (status === 401 || status === 403 || CREDENTIALS_REFUSED.has(code))
    failureClass = 'PROVIDER_FAILING';
  else if (status >= 500 || TRANSIENT.has(code)) failureClass = 'RETRY';
  else failureClass = 'PERMANENT';
  return { failureClass, code, reason, httpStatus: status };
}

/** The body Tandem stores for a message of any type: its text, or its caption, or a placeholder. */
function contentOf(message: MetaMessage): { body: string; contentType: string } {
  const type = message.type ?? 'unknown';
  switch (type) {
    case 'text':
      return { body: message.text?.body ?? '', contentType: 'text' };
    case 'button':
      return { body: message.button?.text ?? '', contentType: 'text' };
    case 'interactive':
      return {
        body:
          message.interactive?.button_reply?.title ?? message.interactive?.list_reply?.title ?? '',
        contentType: 'text',
      };
    case 'reaction':
      return { body: message.reaction?.emoji ?? '', contentType: 'reaction' };
    case 'location': {
      const l = message.location;
      return {
        body: `[location] ${l?.name ?? ''} ${l?.latitude},${l?.longitude}`.trim(),
        contentType: type,
      };
    }
    default: {
      const media = message[type] as { caption?: string } | undefined;
      return { body: media?.caption ?? `[${type}]`, contentType: type };
    }
  }
}

function fromSeconds(timestamp: string | undefined): Date {
  const seconds = Number(timestamp);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date();
}

/** Meta writes numbers as digits without `+`; Tandem keeps E.164. */
function e164(digits: string | undefined): string | undefined {
  if (!digits) return undefined;
  const clean = digits.replace(/[^\d]/g, '');
  return clean ? `+${clean}` : undefined;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function failed(
  failureClass: FailureClass,
  code: string,
  reason: string,
  httpStatus: number | null,
): SendResult {
  return { ok: false, failure: { failureClass, code, reason, httpStatus } };
}
