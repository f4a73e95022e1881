/**
 * What Tandem needs from a messaging provider, whatever its kind: send one message, tell a genuine
 * webhook from a forged one, and read what a webhook says. An adapter is stateless: the provider's
 * settings (with its decrypted secrets) come with every call, so one adapter serves every provider
 * of its kind in every organization.
 */

/** The kinds of provider Tandem speaks to (the values of the `ProviderKind` enum). */
export type ProviderKindName = 'WHATSAPP_CLOUD' | 'TWILIO';

/** A provider's settings as the adapters read them; secrets decrypted, server-side only. */
export interface ProviderSettings {
  kind: ProviderKindName;
  /** With the API version for WhatsApp Cloud (`https://graph.facebook.com/v21.0`). */
  apiBaseUrl: string;
  /** The sender number, E.164 (`+15550001111`). */
  accountNumber: string;
  /** WhatsApp Cloud: the phone number's id (the path of the send endpoint). */
  phoneNumberId?: string | null;
  businessAccountId?: string | null;
  /** Twilio: the account the Messages resource lives under. */
  accountSid?: string | null;
  secrets: ProviderSecrets;
}

export interface ProviderSecrets {
  /** WhatsApp Cloud: the bearer token of the send API. */
  accessToken?: string | null;
  /** WhatsApp Cloud: signs webhooks (`X-Hub-Signature-256`). */
  appSecret?: string | null;
  /** WhatsApp Cloud: echoed by the GET verification handshake. */
  verifyToken?: string | null;
  /** Twilio: basic-auth password of the API and the key of `X-Twilio-Signature`. */
  authToken?: string | null;
}

/** What to send: free text, or an approved template (the only thing allowed outside the 24-hour window). */
export type OutboundContent =
  | { kind: 'TEXT'; body: string }
  | {
      kind: 'TEMPLATE';
      /** The template's name at the provider (Twilio: its Content SID, `HX…`). */
      name: string;
      /** BCP-47-ish language code the template was approved in (`en_US`). */
      language: string;
      /** Values of the template's body placeholders, in order ({{1}}, {{2}}, …). */
      parameters?: string[];
    };

export interface OutboundMessage {
  /** The customer's number, E.164. */
  to: string;
  content: OutboundContent;
}

/**
 * How a failed send is handled (C6):
 * - RETRY: later, with backoff (rate limits, 5xx, the network);
 * - PERMANENT: this message FAILED, the others go on;
 * - NEEDS_TEMPLATE: FAILED, because only a template may be sent now (never retried);
 * - PROVIDER_FAILING: the credentials are refused: the provider is FAILING, its outbox held.
 */
export type FailureClass = 'RETRY' | 'PERMANENT' | 'NEEDS_TEMPLATE' | 'PROVIDER_FAILING';

export interface SendFailure {
  failureClass: FailureClass;
  /** The provider's error code (Meta's `error.code`, Twilio's `code`), or the HTTP status. */
  code: string;
  reason: string;
  httpStatus: number | null;
  /** When the provider said when to come back (`Retry-After`). */
  retryAfterMs?: number;
}

export type SendResult =
  { ok: true; providerMessageId: string } | { ok: false; failure: SendFailure };

/** A webhook as it reached us: the raw bytes, before any parsing. */
export interface WebhookRequest {
  rawBody: Buffer;
  /** Lower-case header names, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The URL the provider called, as the provider saw it (Twilio signs it). */
  publicUrl: string;
}

export type DeliveryUpdateState = 'SENT' | 'DELIVERED' | 'READ' | 'FAILED';

/** One thing a webhook says; a webhook may say several. */
export type WebhookEvent =
  | {
      kind: 'MESSAGE';
      providerMessageId: string;
      /** The customer, E.164. */
      from: string;
      /** Our number, E.164. */
      to: string;
      body: string;
      /** When the customer sent it, by the provider's clock (the 24-hour window runs from it). */
      providerTimestamp: Date;
      /** `text`, or the kind of media (`image`, `audio`, …) whose caption or placeholder is the body. */
      contentType: string;
      /** The name the customer's WhatsApp profile shows, when the provider tells it. */
      profileName?: string;
    }
  | {
      kind: 'STATUS';
      providerMessageId: string;
      state: DeliveryUpdateState;
      at: Date;
      /** FAILED: the provider's code and reason, and how it is to be read. */
      errorCode?: string;
      errorReason?: string;
      failureClass?: FailureClass;
    };

export interface ProviderAdapter {
  readonly kind: ProviderKindName;
  send(settings: ProviderSettings, message: OutboundMessage): Promise<SendResult>;
  /** Whether the webhook is signed by this provider (constant-time comparison). */
  verify(settings: ProviderSettings, request: WebhookRequest): boolean;
  /** What a verified webhook says (messages and status callbacks; nothing for what we do not use). */
  parse(settings: ProviderSettings, request: WebhookRequest): WebhookEvent[];
  /**
   * A GET verification handshake: the body to answer with when it is genuine, null when it is not.
   * Providers without one answer null.
   */
  handshake(settings: ProviderSettings, query: Record<string, unknown>): string | null;
}
