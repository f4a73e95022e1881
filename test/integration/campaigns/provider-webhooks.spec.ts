import { randomUUID } from 'node:crypto';
import type { Provider } from '../../../src/entities/provider.entity';
import { newOrg, type Org } from '../../support/factories';
import { providerOnStub, webhookUrl } from '../../support/providers/setup';
import { TwilioStub } from '../../support/providers/twilio-stub';
import { WhatsAppCloudStub } from '../../support/providers/whatsapp-cloud-stub';
import { startTestServer, type TestServer } from '../../support/server';

const CUSTOMER = '+15551239876';

describe('provider webhooks: verified, stored raw, answered at once (C1, C3)', () => {
  let server: TestServer;
  let org: Org;
  const meta = new WhatsAppCloudStub();
  const twilio = new TwilioStub();
  let metaProvider: Provider;
  let twilioProvider: Provider;

  beforeAll(async () => {
    server = await startTestServer({ config: { jobPollIntervalMs: 100 } });
    org = await newOrg(server);
    await Promise.all([meta.start(), twilio.start()]);
    metaProvider = await providerOnStub(org, meta);
    twilioProvider = await providerOnStub(org, twilio);
  });
  afterAll(async () => {
    await server.stop();
    await Promise.all([meta.stop(), twilio.stop()]);
  });

  const stored = async (provider: Provider) =>
    (await server.dataSource.query(
      `SELECT raw_body AS "rawBody", processed_at AS "processedAt" FROM provider_webhook
        WHERE provider_id = $1 ORDER BY received_at`,
      [provider.id],
    )) as Array<{ rawBody: Buffer; processedAt: Date | null }>;

  const clear = () => server.dataSource.query('DELETE FROM provider_webhook');

  beforeEach(clear);

  it('C3 a bad or missing X-Hub-Signature-256 is 401 and nothing is stored', async () => {
    const body = meta.inboundBody([{ from: CUSTOMER, body: 'hello' }]);
    const url = webhookUrl(org, metaProvider);
    expect((await meta.deliver(url, body, { signature: 'bad' }))[0]!.status).toBe(401);
    expect((await meta.deliver(url, body, { signature: 'missing' }))[0]!.status).toBe(401);
    expect(await stored(metaProvider)).toEqual([]);
  });

  it('C3 a body re-serialized with other whitespace fails; emoji in the body pass, stored byte for byte', async () => {
    const url = webhookUrl(org, metaProvider);
    const body = meta.inboundBody([{ from: CUSTOMER, body: 'Olá 😀 🇧🇷 — “quotes”' }]);
    const reserialized = JSON.stringify(JSON.parse(body), null, 1);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': meta.sign(body) },
      body: reserialized,
    });
    expect(response.status).toBe(401);
    expect(await stored(metaProvider)).toEqual([]);

    const [answer] = await meta.deliver(url, body);
    expect(answer).toEqual({ status: 200, body: 'OK' });
    const rows = await stored(metaProvider);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.rawBody.equals(Buffer.from(body, 'utf8'))).toBe(true);
  });

  it('C3 an unknown provider id is 404 (and a malformed one), and nothing is stored', async () => {
    const body = meta.inboundBody([{ from: CUSTOMER, body: 'hello' }]);
    const base = server.url.replace(/\/graphql$/, '/webhooks/providers/');
    expect((await meta.deliver(base + randomUUID(), body))[0]!.status).toBe(404);
    expect((await meta.deliver(`${base}not-a-uuid`, body))[0]!.status).toBe(404);
    const [{ count }] = (await server.dataSource.query(
      'SELECT count(*)::int AS count FROM provider_webhook',
    )) as Array<{ count: number }>;
    expect(count).toBe(0);
  });

  it('C1 answers the GET verification handshake with the challenge, only for the verify token', async () => {
    const url = webhookUrl(org, metaProvider);
    const query = (token: string) =>
      `${url}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=8812345`;
    const ok = await fetch(query(meta.verifyToken));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('8812345');
    expect((await fetch(query('wrong'))).status).toBe(403);
    expect(
      (await fetch(`${server.url.replace(/\/graphql$/, '')}/webhooks/providers/${randomUUID()}`))
        .status,
    ).toBe(404);
  });

  it('C3 Twilio: X-Twilio-Signature over the public URL and sorted parameters; bad or missing is 401', async () => {
    const url = webhookUrl(org, twilioProvider);
    const params = twilio.inboundParams({ from: CUSTOMER, body: 'Olá 😀' });
    expect((await twilio.deliver(url, params, { signature: 'bad' }))[0]!.status).toBe(401);
    expect((await twilio.deliver(url, params, { signature: 'missing' }))[0]!.status).toBe(401);
    // Signed for another URL (a provider configured with another address): refused.
    const elsewhere = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.sign(`${url}?x=1`, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(elsewhere.status).toBe(401);
    expect(await stored(twilioProvider)).toEqual([]);
    const [answer] = await twilio.deliver(url, params);
    expect(answer!.status).toBe(200);
    expect(answer!.body).toContain('<Response>');
    expect(await stored(twilioProvider)).toHaveLength(1);
  });

  it('C3 every delivery is answered once stored (five at once: five stored, each processed by a job)', async () => {
    const url = webhookUrl(org, metaProvider);
    // A status callback for a message Tandem never sent: processing finds nothing to move.
    const body = meta.statusBody([{ id: 'wamid.unknown', status: 'delivered' }]);
    const answers = await meta.deliver(url, body, { times: 5, concurrently: true });
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await stored(metaProvider)).toHaveLength(5);
  });

  it('C3 a burst is answered first: its jobs wait until webhooks stop arriving in a burst (4 within 20 ms), then run', async () => {
    const webhooks = server.services.providerWebhooks;
    // Four arrivals at one instant (an unknown provider: answered 404, but they arrived).
    const arrivals = Array.from({ length: 4 }, () =>
      webhooks.accept({
        providerId: randomUUID(),
        rawBody: Buffer.from('{}'),
        headers: {},
        publicUrl: '',
      }),
    );
    const started = performance.now();
    // A job of a delivery that no longer exists: it does nothing, once it may run at all.
    await webhooks.process(randomUUID());
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect((await Promise.all(arrivals)).map((a) => a.outcome)).toEqual(
      Array(4).fill('UNKNOWN_PROVIDER'),
    );
  });

  it('C3 deliveries arriving together are stored together: each byte for byte, with its own headers and its own job', async () => {
    // Sent at once, they are stored a few per statement (a busy server's batches): none may be
    // lost, mixed up with another's bytes or provider, or left without its job.
    const metaBodies = Array.from({ length: 24 }, (_, i) =>
      meta.statusBody([{ id: `wamid.batch-${i}`, status: 'delivered' }]),
    );
    const url = webhookUrl(org, metaProvider);
    const twilioUrl = webhookUrl(org, twilioProvider);
    const answers = await Promise.all([
      ...metaBodies.map(async (body) => (await meta.deliver(url, body))[0]!.status),
      ...[0, 1, 2].map(
        async (i) =>
          (
            await twilio.deliver(
              twilioUrl,
              twilio.inboundParams({ from: CUSTOMER, body: `batch ${i}` }),
            )
          )[0]!.status,
      ),
    ]);
    expect(answers).toEqual(Array.from({ length: 27 }, () => 200));
    const rows = (await server.dataSource.query(
      `SELECT w.id, w.provider_id AS "providerId", w.raw_body AS "rawBody", w.headers,
              (SELECT count(*)::int FROM graphile_worker.jobs j WHERE j.key = 'webhook:' || w.id) AS jobs,
              w.processed_at IS NOT NULL AS processed
         FROM provider_webhook w`,
    )) as Array<{
      id: string;
      providerId: string;
      rawBody: Buffer;
      headers: Record<string, string>;
      jobs: number;
      processed: boolean;
    }>;
    const metaRows = rows.filter((row) => row.providerId === metaProvider.id);
    expect(metaRows.map((row) => row.rawBody.toString('utf8')).sort()).toEqual(
      [...metaBodies].sort(),
    );
    for (const row of metaRows) {
      expect(row.headers['x-hub-signature-256']).toBe(meta.sign(row.rawBody.toString('utf8')));
    }
    const twilioRows = rows.filter((row) => row.providerId === twilioProvider.id);
    expect(twilioRows).toHaveLength(3);
    for (const row of twilioRows) expect(row.headers['x-twilio-signature']).toBeTruthy();
    // Each has its job still (a status for a message never sent is retried), or was processed.
    for (const row of rows) expect(row.jobs === 1 || row.processed).toBe(true);
  });
});
