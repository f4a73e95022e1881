import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Role } from '../../../src/entities/enums';
import {
  loadOrCreateKeyFile,
  parseSecretsKey,
  SecretBox,
} from '../../../src/services/provider/secrets';
import {
  CampaignByIdDocument,
  CreateCampaignDocument,
  CreateProviderDocument,
  DeleteProviderDocument,
  ProviderByIdDocument,
  ProvidersDocument,
  UpdateCampaignDocument,
  UpdateProviderDocument,
} from '../../generated/graphql';
import { newCampaign, newPhoneNumber, newWhatsAppProvider } from '../../support/campaigns';
import { childEnv, fromSource, NodeProcess } from '../../support/child-process';
import { newOrg, newStaff, newSupervisor, type Org } from '../../support/factories';
import { startTestServer, type TestServer } from '../../support/server';

const SECRETS = {
  accessToken: 'EAAG-plaintext-access-token-1234567890',
  appSecret: 'plaintext-app-secret-abcdef',
  verifyToken: 'plaintext-verify-token-xyz',
};

describe('providers (C1)', () => {
  let server: TestServer;
  let org: Org;
  let other: Org;

  beforeAll(async () => {
    server = await startTestServer();
    [org, other] = await Promise.all([newOrg(server), newOrg(server)]);
  });
  afterAll(() => server.stop());

  const createWhatsApp = (extra: Record<string, unknown> = {}) =>
    org.admin.api.ok(CreateProviderDocument, {
      input: {
        name: `Meta ${Math.random()}`,
        kind: 'WHATSAPP_CLOUD',
        accountNumber: '+1 415 555 0100',
        phoneNumberId: '106540352242922',
        businessAccountId: '102290129340398',
        ...SECRETS,
        ...extra,
      },
    });

  it("C1: a provider has a name, kind, the kind's API base URL by default, an E.164 account number and its identifiers", async () => {
    const { createProvider } = await createWhatsApp();
    expect(createProvider.provider).toMatchObject({
      kind: 'WHATSAPP_CLOUD',
      apiBaseUrl: 'https://graph.facebook.com/v21.0',
      accountNumber: '+14155550100',
      phoneNumberId: '106540352242922',
      businessAccountId: '102290129340398',
      accountSid: null,
      configuredSecrets: ['ACCESS_TOKEN', 'APP_SECRET', 'VERIFY_TOKEN'],
      health: { state: 'OK', lastError: null, failingSince: null },
    });
    const twilio = await org.admin.api.ok(CreateProviderDocument, {
      input: {
        name: 'Twilio',
        kind: 'TWILIO',
        accountNumber: '+14155550101',
        accountSid: 'AC0123456789abcdef0123456789abcdef',
        authToken: 'twilio-plaintext-auth-token',
      },
    });
    expect(twilio.createProvider.provider).toMatchObject({
      apiBaseUrl: 'https://api.twilio.com/2010-04-01',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      configuredSecrets: ['AUTH_TOKEN'],
    });
    const custom = await createWhatsApp({ apiBaseUrl: 'http://127.0.0.1:9999/v22.0/' });
    expect(custom.createProvider.provider.apiBaseUrl).toBe('http://127.0.0.1:9999/v22.0');
  });

  it('C1: credentials are write-only: no field of the schema carries them, and no answer contains them, not even to ADMIN', async () => {
    const created = await createWhatsApp();
    const id = created.createProvider.provider.id;
    const updated = await org.admin.api.ok(UpdateProviderDocument, {
      input: { providerId: id, accessToken: 'EAAG-rotated-plaintext-token' },
    });
    const listed = await org.admin.api.ok(ProvidersDocument, { first: 100 });
    const single = await org.admin.api.ok(ProviderByIdDocument, { id });
    const everything = JSON.stringify([created, updated, listed, single]);
    for (const secret of [...Object.values(SECRETS), 'EAAG-rotated-plaintext-token'])
      expect(everything).not.toContain(secret);

    const introspection = await org.admin.api.request(
      '{ __type(name: "Provider") { fields { name } } }',
    );
    const fields = (
      introspection.data as { __type: { fields: { name: string }[] } }
    ).__type.fields.map((f) => f.name);
    for (const name of ['accessToken', 'appSecret', 'verifyToken', 'authToken', 'sealedSecrets'])
      expect(fields).not.toContain(name);
    // The adapters (server side) get them, the rotated token included.
    const credentials = await server.services.providers.credentialsOf(id);
    expect(credentials?.secrets).toEqual({
      ...SECRETS,
      accessToken: 'EAAG-rotated-plaintext-token',
    });
  });

  it('C1: secrets are encrypted at rest (AES-256-GCM): the raw row holds no plaintext, and a sealed value moved to another row does not open', async () => {
    const a = await createWhatsApp();
    const b = await createWhatsApp();
    const rows: Record<string, unknown>[] = await server.dataSource.query(
      'SELECT * FROM provider WHERE id = ANY($1)',
      [[a.createProvider.provider.id, b.createProvider.provider.id]],
    );
    const raw = JSON.stringify(rows);
    for (const secret of Object.values(SECRETS)) {
      expect(raw).not.toContain(secret);
      expect(raw).not.toContain(Buffer.from(secret).toString('base64'));
    }
    for (const row of rows) expect(String(row.sealed_secrets)).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    // Same secrets, different ciphertexts (a fresh IV each time).
    expect(rows[0].sealed_secrets).not.toBe(rows[1].sealed_secrets);
    await server.dataSource.query('UPDATE provider SET sealed_secrets = $1 WHERE id = $2', [
      rows.find((row) => row.id === a.createProvider.provider.id)?.sealed_secrets,
      b.createProvider.provider.id,
    ]);
    await expect(
      server.services.providers.credentialsOf(b.createProvider.provider.id),
    ).rejects.toThrow();
  });

  it('C1: the seal needs the key: another key cannot open it, and a changed byte is refused', () => {
    const box = new SecretBox(Buffer.alloc(32, 1));
    const sealed = box.seal('hello', 'provider:x');
    expect(box.open(sealed, 'provider:x')).toBe('hello');
    expect(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed, 'provider:x')).toThrow();
    expect(() => box.open(sealed, 'provider:y')).toThrow();
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}${sealed.slice(-1)}`;
    expect(() => box.open(tampered, 'provider:x')).toThrow();
  });

  it('C1: SECRETS_KEY is 32 bytes, base64 or hex; the embedded default generates one into DATA_DIR with mode 0600 and reuses it', async () => {
    expect(parseSecretsKey(Buffer.alloc(32, 9).toString('base64'))).toEqual(Buffer.alloc(32, 9));
    expect(parseSecretsKey('ab'.repeat(32))).toEqual(Buffer.alloc(32, 0xab));
    expect(parseSecretsKey('too-short')).toBeNull();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-key-'));
    try {
      const key = await loadOrCreateKeyFile(dir);
      expect(key).toHaveLength(32);
      const file = path.join(dir, 'secrets.key');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(parseSecretsKey(await readFile(file, 'utf8'))).toEqual(key);
      expect(await loadOrCreateKeyFile(dir)).toEqual(key);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('C1: a server with DATABASE_URL and no SECRETS_KEY refuses to start, with one clear line', async () => {
    const child = new NodeProcess(
      fromSource('src/main.ts'),
      childEnv({ DATABASE_URL: server.database.url, SECRETS_KEY: '', PORT: '0' }),
    );
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.stderr.trim()).toBe(
      '[tandem] SECRETS_KEY is required with DATABASE_URL: 32 random bytes in base64 (openssl rand -base64 32), the same on every instance',
    );
  });

  it('C1: health is visible to ADMIN; new credentials bring a FAILING provider back to OK, other edits do not', async () => {
    const { createProvider } = await createWhatsApp();
    const id = createProvider.provider.id;
    await server.dataSource.query(
      `UPDATE provider SET health_state = 'FAILING', last_error = '401 Unauthorized', failing_since = now() WHERE id = $1`,
      [id],
    );
    const renamed = await org.admin.api.ok(UpdateProviderDocument, {
      input: { providerId: id, name: `Renamed ${Math.random()}` },
    });
    expect(renamed.updateProvider.provider.health).toMatchObject({
      state: 'FAILING',
      lastError: '401 Unauthorized',
    });
    expect(renamed.updateProvider.provider.health.failingSince).toEqual(expect.any(String));
    const fixed = await org.admin.api.ok(UpdateProviderDocument, {
      input: { providerId: id, accessToken: 'EAAG-new-token' },
    });
    expect(fixed.updateProvider.provider.health).toEqual({
      state: 'OK',
      lastError: null,
      failingSince: null,
    });
  });

  it('C1: providers are ADMIN only; a supervisor reading a campaign sees its provider but not its health', async () => {
    const supervisor = await newSupervisor(org);
    const agent = await newStaff(org, { role: Role.AGENT });
    for (const member of [supervisor, agent]) {
      const error = await member.api.fails(ProvidersDocument, { first: 10 });
      expect(error.extensions?.code).toBe('FORBIDDEN');
    }
    const refused = await supervisor.api.fails(CreateProviderDocument, {
      input: {
        name: 'x',
        kind: 'TWILIO',
        accountNumber: newPhoneNumber(),
        accountSid: 'AC1',
        authToken: 't',
      },
    });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    const campaign = await newCampaign(org);
    const seen = await supervisor.api.ok(CampaignByIdDocument, { id: campaign.id });
    expect(seen.campaign.provider?.id).toEqual(campaign.providerId);
    const health = await supervisor.api.request(
      `query($id: ID!) { campaign(id: $id) { provider { health { state } } } }`,
      { id: campaign.id },
    );
    expect(health.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('C1: each kind takes its own fields: missing, foreign or malformed ones are BAD_USER_INPUT naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ phoneNumberId: undefined }, 'phoneNumberId'],
      [{ appSecret: undefined }, 'appSecret'],
      [{ authToken: 'twilio-token' }, 'authToken'],
      [{ accountSid: 'AC1' }, 'accountSid'],
      [{ accountNumber: 'not a number' }, 'accountNumber'],
      [{ apiBaseUrl: 'ftp://graph.facebook.com' }, 'apiBaseUrl'],
    ];
    const before = await org.admin.api.ok(ProvidersDocument, { first: 100 });
    for (const [extra, field] of cases) {
      const input = {
        name: `Bad ${Math.random()}`,
        kind: 'WHATSAPP_CLOUD' as const,
        accountNumber: newPhoneNumber(),
        phoneNumberId: '1',
        ...SECRETS,
        ...extra,
      };
      const error = await org.admin.api.fails(CreateProviderDocument, { input });
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const after = await org.admin.api.ok(ProvidersDocument, { first: 100 });
    expect(after.providers.totalCount).toBe(before.providers.totalCount);
  });

  it('C1: a provider used by an enabled campaign cannot be deleted (CONFLICT); once disabled it can, and the campaign keeps its data without one', async () => {
    const provider = await newWhatsAppProvider(org);
    const campaign = await newCampaign(org, { provider });
    const refused = await org.admin.api.fails(DeleteProviderDocument, {
      input: { providerId: provider.id },
    });
    expect(refused.extensions).toMatchObject({ code: 'CONFLICT', campaignId: campaign.id });
    expect(refused.message).toContain(campaign.name);
    expect(await server.services.providers.credentialsOf(provider.id)).not.toBeNull();

    await org.admin.api.ok(UpdateCampaignDocument, {
      input: { campaignId: campaign.id, enabled: false },
    });
    await org.admin.api.ok(DeleteProviderDocument, { input: { providerId: provider.id } });
    const { campaign: kept } = await org.admin.api.ok(CampaignByIdDocument, { id: campaign.id });
    expect(kept).toMatchObject({ name: campaign.name, enabled: false, provider: null });
    const enabling = await org.admin.api.fails(UpdateCampaignDocument, {
      input: { campaignId: campaign.id, enabled: true },
    });
    expect(enabling.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'providerId' });
  });

  it('C1: deleting a provider races enabling a campaign on it: never a deleted provider under an enabled campaign', async () => {
    for (let round = 0; round < 5; round++) {
      const provider = await newWhatsAppProvider(org);
      const campaign = await newCampaign(org, { provider, enabled: false });
      const results = await Promise.all([
        org.admin.api.request(UpdateCampaignDocument, {
          input: { campaignId: campaign.id, enabled: true },
        }),
        org.admin.api.request(DeleteProviderDocument, { input: { providerId: provider.id } }),
      ]);
      // One of them wins; the other is refused with a reason (a campaign whose provider was just
      // deleted has none to enable: BAD_USER_INPUT), never a deadlock.
      for (const result of results) {
        expect(['CONFLICT', 'NOT_FOUND', 'BAD_USER_INPUT', undefined]).toContain(
          result.errors?.[0]?.extensions?.code,
        );
      }
      expect(results.filter((result) => result.errors).length).toBe(1);
      const [row] = await server.dataSource.query(
        'SELECT enabled, provider_id FROM campaign WHERE id = $1',
        [campaign.id],
      );
      expect(row.enabled && row.provider_id === null).toBe(false);
    }
  });

  it("C1: another organization's provider is NOT_FOUND, to read, change, delete or use", async () => {
    const provider = await newWhatsAppProvider(other);
    const id = provider.id;
    const errors = await Promise.all([
      org.admin.api.fails(ProviderByIdDocument, { id }),
      org.admin.api.fails(UpdateProviderDocument, { input: { providerId: id, name: 'mine' } }),
      org.admin.api.fails(DeleteProviderDocument, { input: { providerId: id } }),
      org.admin.api.fails(CreateCampaignDocument, {
        input: {
          name: 'Stolen number',
          providerId: id,
          maxInteractionsPerAgent: 1,
          serviceLevelSeconds: 10,
          abandonAfterSeconds: 60,
        },
      }),
    ]);
    for (const error of errors) expect(error.extensions?.code).toBe('NOT_FOUND');
    const listed = await org.admin.api.ok(ProvidersDocument, { first: 100 });
    expect(listed.providers.edges.map((e) => e.node.id)).not.toContain(id);
    expect((await server.services.providers.credentialsOf(id))?.organizationId).toBe(other.id);
  });
});
