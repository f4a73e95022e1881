import { createHmac } from 'node:crypto';
import {
  type DeliverOptions,
  type DeliveryAnswer,
  ProviderStubServer,
  type RecordedRequest,
  type StubFailure,
} from './stub-server';

export interface TwilioInbound {
  from: string;
  body: string;
  sid?: string;
  profileName?: string;
}

/**
 * Twilio's Messages API for WhatsApp, as a test sees it: form-encoded
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with basic auth (anything else is
 * Twilio's 401, code 20003), answering 201 with the message resource; and webhooks (inbound
 * messages, status callbacks) form-encoded and signed as Twilio signs them (`X-Twilio-Signature`).
 */
export class TwilioStub extends ProviderStubServer {
  readonly accountSid = 'AC0123456789abcdef0123456789abcdef';
  authToken = 'stub-twilio-auth-token';
  readonly accountNumber: string;
  readonly sentSids: string[] = [];

  constructor(accountNumber = '+15550002000') {
    super();
    this.accountNumber = accountNumber;
  }

  get apiBaseUrl(): string {
    return `${this.url}/2010-04-01`;
  }

  providerInput(name = 'Twilio stub'): Record<string, string> {
    return {
      name,
      kind: 'TWILIO',
      apiBaseUrl: this.apiBaseUrl,
      accountNumber: this.accountNumber,
      accountSid: this.accountSid,
      authToken: this.authToken,
    };
  }

  /** The form fields of the sends received, in order. */
  sends(): Array<Record<string, string>> {
    return this.received
      .filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'))
      .map((r) => Object.fromEntries(new URLSearchParams(r.body)));
  }

  protected recipientOf(request: RecordedRequest): string | undefined {
    return new URLSearchParams(request.body).get('To')?.replace('whatsapp:', '');
  }

  protected handle(request: RecordedRequest, fail: StubFailure | undefined) {
    if (
      request.method !== 'POST' ||
      request.path !== `/2010-04-01/Accounts/${this.accountSid}/Messages.json`
    ) {
      return { status: 404, body: twilioError({ status: 404, code: 20404 }) };
    }
    const basic = Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64');
    if (request.headers.authorization !== `Basic ${basic}`) {
      return {
        status: 401,
        body: twilioError({ status: 401, code: 20003, message: 'Authenticate' }),
      };
    }
    if (fail) {
      return {
        status: fail.status,
        body: twilioError(fail),
        headers: fail.retryAfter ? { 'retry-after': String(fail.retryAfter) } : undefined,
      };
    }
    const form = new URLSearchParams(request.body);
    const sid = `SM${this.newId('').slice(0, 32)}`;
    this.sentSids.push(sid);
    return {
      status: 201,
      body: {
        sid,
        account_sid: this.accountSid,
        from: form.get('From'),
        to: form.get('To'),
        body: form.get('Body'),
        status: 'queued',
        num_segments: '1',
        direction: 'outbound-api',
        api_version: '2010-04-01',
        date_created: new Date().toUTCString(),
        error_code: null,
        error_message: null,
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
      },
    };
  }

  /** The form fields of an inbound WhatsApp message webhook. */
  inboundParams(message: TwilioInbound): Array<[string, string]> {
    const sid = message.sid ?? `SM${this.newId('').slice(0, 32)}`;
    return [
      ['SmsMessageSid', sid],
      ['NumMedia', '0'],
      ['ProfileName', message.profileName ?? 'Customer'],
      ['MessageType', 'text'],
      ['SmsSid', sid],
      ['WaId', message.from.replace('+', '')],
      ['SmsStatus', 'received'],
      ['Body', message.body],
      ['To', `whatsapp:${this.accountNumber}`],
      ['NumSegments', '1'],
      ['ReferralNumMedia', '0'],
      ['MessageSid', sid],
      ['AccountSid', this.accountSid],
      ['From', `whatsapp:${message.from}`],
      ['ApiVersion', '2010-04-01'],
    ];
  }

  /** The form fields of a status callback. */
  statusParams(
    sid: string,
    status: 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered',
    to = '+15551230001',
    errorCode?: number,
  ): Array<[string, string]> {
    return [
      ['SmsSid', sid],
      ['SmsStatus', status],
      ['MessageStatus', status],
      ['ChannelToAddress', to],
      ['To', `whatsapp:${to}`],
      ['ChannelPrefix', 'whatsapp'],
      ['MessageSid', sid],
      ['AccountSid', this.accountSid],
      ['From', `whatsapp:${this.accountNumber}`],
      ['ApiVersion', '2010-04-01'],
      ...(errorCode ? ([['ErrorCode', String(errorCode)]] as Array<[string, string]>) : []),
    ];
  }

  /** `X-Twilio-Signature` of a POST to `url` with these parameters. */
  sign(url: string, params: Array<[string, string]>, authToken = this.authToken): string {
    const data =
      url +
      [...params]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => name + value)
        .join('');
    return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
  }

  /** Posts a webhook to `url` as Twilio does: form-encoded, the URL and parameters signed. */
  deliver(
    url: string,
    params: Array<[string, string]>,
    options: DeliverOptions = {},
  ): Promise<DeliveryAnswer[]> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
    };
    const signature = options.signature ?? 'valid';
    if (signature !== 'missing') {
      headers['x-twilio-signature'] = this.sign(
        url,
        params,
        signature === 'bad' ? 'not-the-auth-token' : this.authToken,
      );
    }
    return this.post(url, new URLSearchParams(params).toString(), headers, options);
  }
}

function twilioError(failure: StubFailure): unknown {
  return {
    code: failure.code ?? failure.status,
    message: failure.message ?? `stub failure ${failure.code ?? failure.status}`,
    more_info: `https://www.twilio.com/docs/errors/${failure.code ?? failure.status}`,
    status: failure.status,
  };
}
