import {
  adapterFor,
  type ProviderSettings,
  type WebhookRequest,
} from '../../src/services/provider/adapters';
import type { StubFailure } from '../support/providers/stub-server';
import { TwilioStub } from '../support/providers/twilio-stub';
import { WhatsAppCloudStub } from '../support/providers/whatsapp-cloud-stub';

const CUSTOMER = '+15551230001';

describe('provider adapters against the provider stubs (C1, C3, C6)', () => {
  describe('WHATSAPP_CLOUD', () => {
    const stub = new WhatsAppCloudStub();
    const adapter = adapterFor('WHATSAPP_CLOUD');
    let settings: ProviderSettings;

    beforeAll(async () => {
      await stub.start();
      settings = {
        kind: 'WHATSAPP_CLOUD',
        apiBaseUrl: stub.apiBaseUrl,
        accountNumber: stub.accountNumber,
        phoneNumberId: stub.phoneNumberId,
        businessAccountId: stub.businessAccountId,
        secrets: {
          accessToken: stub.accessToken,
          appSecret: stub.appSecret,
          verifyToken: stub.verifyToken,
        },
      };
    });
    afterAll(() => stub.stop());
    afterEach(() => stub.clearFailures());

    const request = (body: string, signature?: string): WebhookRequest => ({
      rawBody: Buffer.from(body, 'utf8'),
      headers: signature === undefined ? {} : { 'x-hub-signature-256': signature },
      publicUrl: 'https://tandem.example/webhooks/providers/p',
    });

    it('C6 sends text to /{phoneNumberId}/messages with the bearer token and returns the wamid', async () => {
      const result = await adapter.send(settings, {
        to: CUSTOMER,
        content: { kind: 'TEXT', body: 'Hello 👋' },
      });
      expect(result).toEqual({ ok: true, providerMessageId: stub.sentIds.at(-1) });
      const sent = stub.received.at(-1)!;
      expect(sent.path).toBe(`/v21.0/${stub.phoneNumberId}/messages`);
      expect(sent.headers.authorization).toBe(`Bearer ${stub.accessToken}`);
      expect(JSON.parse(sent.body)).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '15551230001',
        type: 'text',
        text: { preview_url: false, body: 'Hello 👋' },
      });
    });

    it('C6 sends an approved template with its language and body parameters', async () => {
      await adapter.send(settings, {
        to: CUSTOMER,
        content: { kind: 'TEMPLATE', name: 'order_update', language: 'en_US', parameters: ['42'] },
      });
      expect(JSON.parse(stub.received.at(-1)!.body)).toMatchObject({
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
        },
      });
    });

    it.each<[string, StubFailure, string]>([
      ['HTTP 429 with Retry-After', { status: 429, code: 130429, retryAfter: 3 }, 'RETRY'],
      ['throughput 130429', { status: 400, code: 130429 }, 'RETRY'],
      ['pair rate limit 131056', { status: 400, code: 131056 }, 'RETRY'],
      ['a 5xx', { status: 503, code: 131016 }, 'RETRY'],
      ['a 500 without a Meta code', { status: 500 }, 'RETRY'],
      ['undeliverable 131026', { status: 400, code: 131026 }, 'PERMANENT'],
      ['re-engagement 131047', { status: 400, code: 131047 }, 'NEEDS_TEMPLATE'],
      ['a 403', { status: 403, code: 200 }, 'PROVIDER_FAILING'],
    ])('C6 classifies %s', async (_name, failure, failureClass) => {
      stub.failNext(1, failure);
      const result = await adapter.send(settings, {
        to: CUSTOMER,
        content: { kind: 'TEXT', body: 'x' },
      });
      expect(result).toMatchObject({
        ok: false,
        failure: {
          failureClass,
          code: String(failure.code ?? failure.status),
          httpStatus: failure.status,
        },
      });
      if (failure.retryAfter) {
        expect(!result.ok && result.failure.retryAfterMs).toBe(failure.retryAfter * 1000);
      }
    });

    it('C6 reads an expired token (401, Meta code 190) as the provider FAILING', async () => {
      const result = await adapter.send(
        { ...settings, secrets: { ...settings.secrets, accessToken: 'expired' } },
        { to: CUSTOMER, content: { kind: 'TEXT', body: 'x' } },
      );
      expect(result).toMatchObject({
        ok: false,
        failure: { failureClass: 'PROVIDER_FAILING', code: '190', httpStatus: 401 },
      });
    });

    it('C6 reads a provider it cannot reach as a failure to retry, not an exception', async () => {
      const result = await adapter.send(
        { ...settings, apiBaseUrl: 'http://127.0.0.1:1/v21.0' },
        { to: CUSTOMER, content: { kind: 'TEXT', body: 'x' } },
      );
      expect(result).toMatchObject({
        ok: false,
        failure: { failureClass: 'RETRY', code: 'NETWORK' },
      });
    });

    it('C3 accepts X-Hub-Signature-256 over the raw bytes, emoji included', () => {
      const body = stub.inboundBody([{ from: CUSTOMER, body: 'Olá 😀 — ça va?' }]);
      expect(adapter.verify(settings, request(body, stub.sign(body)))).toBe(true);
    });

    it('C3 refuses a missing or bad signature, and a body re-serialized with other whitespace', () => {
      const body = stub.inboundBody([{ from: CUSTOMER, body: 'hi' }]);
      const signature = stub.sign(body);
      expect(adapter.verify(settings, request(body))).toBe(false);
      expect(adapter.verify(settings, request(body, stub.sign(body, 'other-secret')))).toBe(false);
      expect(adapter.verify(settings, request(body, 'sha256=short'))).toBe(false);
      const reserialized = JSON.stringify(JSON.parse(body), null, 2);
      expect(adapter.verify(settings, request(reserialized, signature))).toBe(false);
      // The same characters with emoji escaped as JSON allows: other bytes, so refused.
      const emoji = stub.inboundBody([{ from: CUSTOMER, body: '😀' }]);
      const escaped = emoji.replace('😀', '\\ud83d\\ude00');
      expect(adapter.verify(settings, request(escaped, stub.sign(emoji)))).toBe(false);
    });

    it('C1 answers the GET handshake only with the verify token', () => {
      const query = {
        'hub.mode': 'subscribe',
        'hub.verify_token': stub.verifyToken,
        'hub.challenge': '1158201444',
      };
      expect(adapter.handshake(settings, query)).toBe('1158201444');
      expect(adapter.handshake(settings, { ...query, 'hub.verify_token': 'wrong' })).toBeNull();
      expect(adapter.handshake(settings, { ...query, 'hub.mode': 'unsubscribe' })).toBeNull();
    });

    it('C3 reads several messages and statuses of one delivery, timestamps in seconds', () => {
      const messages = JSON.parse(
        stub.inboundBody([
          { from: CUSTOMER, body: 'first', id: 'wamid.A', timestamp: 1_790_000_000 },
          { from: '+15551230002', body: 'second', id: 'wamid.B', timestamp: 1_790_000_005 },
        ]),
      ) as { entry: Array<{ changes: Array<{ value: Record<string, unknown> }> }> };
      const statuses = JSON.parse(
        stub.statusBody([
          { id: 'wamid.OUT1', status: 'delivered', timestamp: 1_790_000_010 },
          {
            id: 'wamid.OUT2',
            status: 'failed',
            timestamp: 1_790_000_011,
            error: { code: 131026, title: 'Message undeliverable' },
          },
        ]),
      ) as typeof messages;
      // Meta batches: two entries in one notification.
      messages.entry.push(...statuses.entry);
      const events = adapter.parse(settings, request(JSON.stringify(messages)));
      expect(events).toEqual([
        {
          kind: 'MESSAGE',
          providerMessageId: 'wamid.A',
          from: CUSTOMER,
          to: stub.accountNumber,
          body: 'first',
          contentType: 'text',
          providerTimestamp: new Date(1_790_000_000_000),
          profileName: 'Customer',
        },
        expect.objectContaining({ providerMessageId: 'wamid.B', from: '+15551230002' }),
        {
          kind: 'STATUS',
          providerMessageId: 'wamid.OUT1',
          state: 'DELIVERED',
          at: new Date(1_790_000_010_000),
        },
        {
          kind: 'STATUS',
          providerMessageId: 'wamid.OUT2',
          state: 'FAILED',
          at: new Date(1_790_000_011_000),
          errorCode: '131026',
          errorReason: 'Message undeliverable',
          failureClass: 'PERMANENT',
        },
      ]);
    });
  });

  describe('TWILIO', () => {
    const stub = new TwilioStub();
    const adapter = adapterFor('TWILIO');
    const publicUrl = 'https://tandem.example/webhooks/providers/0b3d';
    let settings: ProviderSettings;

    beforeAll(async () => {
      await stub.start();
      settings = {
        kind: 'TWILIO',
        apiBaseUrl: stub.apiBaseUrl,
        accountNumber: stub.accountNumber,
        accountSid: stub.accountSid,
        secrets: { authToken: stub.authToken },
      };
    });
    afterAll(() => stub.stop());
    afterEach(() => stub.clearFailures());

    const form = (params: Array<[string, string]>, signature?: string, url = publicUrl) => ({
      rawBody: Buffer.from(new URLSearchParams(params).toString(), 'utf8'),
      headers: signature === undefined ? {} : { 'x-twilio-signature': signature },
      publicUrl: url,
    });

    it('C6 sends form-encoded with basic auth, whatsapp: addresses, and returns the SID', async () => {
      const result = await adapter.send(settings, {
        to: CUSTOMER,
        content: { kind: 'TEXT', body: 'Hello 👋' },
      });
      expect(result).toEqual({ ok: true, providerMessageId: stub.sentSids.at(-1) });
      const sent = stub.received.at(-1)!;
      expect(sent.path).toBe(`/2010-04-01/Accounts/${stub.accountSid}/Messages.json`);
      expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(stub.sends().at(-1)).toEqual({
        From: `whatsapp:${stub.accountNumber}`,
        To: `whatsapp:${CUSTOMER}`,
        Body: 'Hello 👋',
      });
    });

    it('C6 sends a template as its Content SID and variables', async () => {
      await adapter.send(settings, {
        to: CUSTOMER,
        content: { kind: 'TEMPLATE', name: 'HX0123', language: 'en', parameters: ['Ann'] },
      });
      expect(stub.sends().at(-1)).toMatchObject({
        ContentSid: 'HX0123',
        ContentVariables: '{"1":"Ann"}',
      });
    });

    it.each<[string, StubFailure, string]>([
      ['HTTP 429 (20429)', { status: 429, code: 20429 }, 'RETRY'],
      ['a 5xx', { status: 503, code: 20500 }, 'RETRY'],
      ['an invalid To (21211)', { status: 400, code: 21211 }, 'PERMANENT'],
      ['outside the window (63016)', { status: 400, code: 63016 }, 'NEEDS_TEMPLATE'],
    ])('C6 classifies %s', async (_name, failure, failureClass) => {
      stub.failNext(1, failure);
      const result = await adapter.send(settings, {
        to: CUSTOMER,
        content: { kind: 'TEXT', body: 'x' },
      });
      expect(result).toMatchObject({
        ok: false,
        failure: { failureClass, code: String(failure.code), httpStatus: failure.status },
      });
    });

    it('C6 reads refused credentials (401, 20003) as the provider FAILING', async () => {
      const result = await adapter.send(
        { ...settings, secrets: { authToken: 'rotated' } },
        { to: CUSTOMER, content: { kind: 'TEXT', body: 'x' } },
      );
      expect(result).toMatchObject({
        ok: false,
        failure: { failureClass: 'PROVIDER_FAILING', code: '20003', httpStatus: 401 },
      });
    });

    it('C3 accepts X-Twilio-Signature over the public URL and sorted parameters, emoji included', () => {
      const params = stub.inboundParams({ from: CUSTOMER, body: 'Olá 😀' });
      expect(adapter.verify(settings, form(params, stub.sign(publicUrl, params)))).toBe(true);
    });

    it('C3 refuses a missing or bad signature, another URL, or a changed parameter', () => {
      const params = stub.inboundParams({ from: CUSTOMER, body: 'hi' });
      const signature = stub.sign(publicUrl, params);
      expect(adapter.verify(settings, form(params))).toBe(false);
      expect(adapter.verify(settings, form(params, stub.sign(publicUrl, params, 'other')))).toBe(
        false,
      );
      expect(adapter.verify(settings, form(params, signature, `${publicUrl}x`))).toBe(false);
      const changed = params.map(([k, v]): [string, string] => [k, k === 'Body' ? 'hi!' : v]);
      expect(adapter.verify(settings, form(changed, signature))).toBe(false);
    });

    it('C3 reads an inbound message and a status callback (undelivered is FAILED)', () => {
      const inbound = adapter.parse(
        settings,
        form(stub.inboundParams({ from: CUSTOMER, body: 'hello', sid: 'SM1' })),
      );
      expect(inbound).toEqual([
        expect.objectContaining({
          kind: 'MESSAGE',
          providerMessageId: 'SM1',
          from: CUSTOMER,
          to: stub.accountNumber,
          body: 'hello',
          contentType: 'text',
        }),
      ]);
      expect(adapter.parse(settings, form(stub.statusParams('SM2', 'read')))).toEqual([
        expect.objectContaining({ kind: 'STATUS', providerMessageId: 'SM2', state: 'READ' }),
      ]);
      expect(
        adapter.parse(settings, form(stub.statusParams('SM3', 'undelivered', CUSTOMER, 63016))),
      ).toEqual([
        expect.objectContaining({
          state: 'FAILED',
          errorCode: '63016',
          failureClass: 'NEEDS_TEMPLATE',
        }),
      ]);
    });
  });
});
