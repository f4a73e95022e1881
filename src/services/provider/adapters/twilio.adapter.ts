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
import { signaturesEqual, twilioSignature } from './signatures';

/** Twilio error codes Tandem reads (twilio.com/docs/api/errors); any other 4xx is permanent. */
const RATE_LIMITED = new Set(['20429', '63018', '14107']);
const CREDENTIALS_REFUSED = new Set(['20003', '20005', '20008', '20403']);
/** WhatsApp's 24-hour window is closed: only a template (Content API) may be sent. */
const NEEDS_TEMPLATE = new Set(['63016']);

/** Twilio's Messages API for WhatsApp (`/Accounts/{AccountSid}/Messages.json`, form-encoded). */
export class TwilioAdapter implements ProviderAdapter {
  readonly kind = 'TWILIO' as const;

  async send(settings: ProviderSettings, message: OutboundMessage): Promise<SendResult> {
    const { authToken } = settings.secrets;
    if (!settings.accountSid || !authToken) {
      return {
        ok: false,
        failure: {
          failureClass: 'PROVIDER_FAILING',
          code: 'CONFIGURATION',
          reason: 'accountSid or authToken missing',
          httpStatus: null,
        },
      };
    }
    const form = new URLSearchParams({
      From: `whatsapp:${settings.accountNumber}`,
      To: `whatsapp:${message.to}`,
    });
    if (message.content.kind === 'TEXT') form.set('Body', message.content.body);
    else {
      // A WhatsApp template on Twilio is a Content API template: its SID, and the variables.
      form.set('ContentSid', message.content.name);
      const variables = Object.fromEntries(
        (message.content.parameters ?? []).map((value, i) => [String(i + 1), value]),
      );
      form.set('ContentVariables', JSON.stringify(variables));
    }
    const basic = Buffer.from(`${settings.accountSid}:${authToken}`).toString('base64');
    const answer = await callProvider(
      `${settings.apiBaseUrl.replace(/\/+$/, '')}/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
      },
    );
    if (isFailure(answer)) return { ok: false, failure: answer };
    const body = answer.json as TwilioAnswer | null;
    if (answer.status >= 200 && answer.status < 300 && typeof body?.sid === 'string') {
      return { ok: true, providerMessageId: body.sid };
    }
    return {
      ok: false,
      failure: {
        ...classifyTwilioError(answer.status, body),
        retryAfterMs: retryAfterMsOf(answer.headers),
      },
    };
  }

  verify(settings: ProviderSettings, request: WebhookRequest): boolean {
    const given = headerOf(request.headers, 'x-twilio-signature');
    const token = settings.secrets.authToken;
    if (!given || !token) return false;
    const params = [...new URLSearchParams(request.rawBody.toString('utf8')).entries()];
    return signaturesEqual(twilioSignature(token, request.publicUrl, params), given);
  }

  handshake(): string | null {
    return null;
  }

  parse(settings: ProviderSettings, request: WebhookRequest): WebhookEvent[] {
    const form = new URLSearchParams(request.rawBody.toString('utf8'));
    const sid = form.get('MessageSid') ?? form.get('SmsMessageSid');
    if (!sid) return [];
    const status = form.get('MessageStatus');
    if (status && status !== 'received') {
      const state = STATUS_STATES[status];
      if (!state) return []; // queued, accepted, sending: nothing Tandem shows
      const code = form.get('ErrorCode') ?? undefined;
      return [
        {
          kind: 'STATUS',
          providerMessageId: sid,
          state,
          // Twilio's callbacks carry no time of their own: the time we were told.
          at: new Date(),
          ...(state === 'FAILED'
            ? {
                errorCode: code ?? 'UNKNOWN',
                errorReason:
                  form.get('ErrorMessage') ?? `Twilio error ${code ?? 'unknown'} (${status})`,
                failureClass: classifyTwilioError(400, { code: code ? Number(code) : undefined })
                  .failureClass,
              }
            : {}),
        },
      ];
    }
    const from = stripChannel(form.get('From'));
    if (!from) return [];
    const media = Number(form.get('NumMedia') ?? 0);
    const body = form.get('Body') ?? '';
    return [
      {
        kind: 'MESSAGE',
        providerMessageId: sid,
        from,
        to: stripChannel(form.get('To')) ?? settings.accountNumber,
        body: body || (media > 0 ? `[${form.get('MediaContentType0') ?? 'media'}]` : ''),
        contentType: media > 0 ? (form.get('MediaContentType0')?.split('/')[0] ?? 'media') : 'text',
        // Twilio's inbound webhook carries no send time: the time it reached us.
        providerTimestamp: new Date(),
        profileName: form.get('ProfileName') ?? undefined,
      },
    ];
  }
}

interface TwilioAnswer {
  sid?: unknown;
  code?: number;
  message?: string;
  status?: number | string;
}

const STATUS_STATES: Record<string, DeliveryUpdateState> = {
  sent: 'SENT',
  delivered: 'DELIVERED',
  read: 'READ',
  failed: 'FAILED',
  undelivered: 'FAILED',
};

/** How Twilio's answer to a send is read (C6). */
export function classifyTwilioError(
  status: number,
  body: Pick<TwilioAnswer, 'code' | 'message'> | null,
): Omit<SendFailure, 'retryAfterMs'> {
  const code = body?.code === undefined ? String(status) : String(body.code);
  const reason = body?.message ?? `HTTP ${status}`;
  let failureClass: FailureClass;
  if (NEEDS_TEMPLATE.has(code)) failureClass = 'NEEDS_TEMPLATE';
  else if (status === 429 || RATE_LIMITED.has(code)) failureClass = 'RETRY';
  else if (status === 401 || status === 403 || CREDENTIALS_REFUSED.has(code))
    failureClass = 'PROVIDER_FAILING';
  else if (status >= 500) failureClass = 'RETRY';
  else failureClass = 'PERMANENT';
  return { failureClass, code, reason, httpStatus: status };
}

/** `whatsapp:+15550001111` → `+15550001111`. */
function stripChannel(address: string | null): string | undefined {
  if (!address) return undefined;
  const number = address.replace(/^whatsapp:/, '').trim();
  return number.startsWith('+') ? number : number ? `+${number.replace(/[^\d]/g, '')}` : undefined;
}
