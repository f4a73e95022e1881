import {
  ApiKeysDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CreateStaffDocument,
  MeDocument,
  RevokeApiKeyDocument,
  SignInDocument,
  SignOutDocument,
} from '../generated/graphql';
import { GraphQLClient } from '../support/client';
import { eventually, newAgent, newOrg, PASSWORD, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { connect } from '../support/ws';

describe('sign-in, sessions and API keys', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('signs in with email and password and answers me', async () => {
    const agent = await newAgent(org, { name: 'Bianca' });
    const { signIn } = await org.anonymous.ok(SignInDocument, {
      input: { email: agent.staff.email, password: PASSWORD },
    });
    expect(signIn.token).toMatch(/^tdm_/);
    expect(signIn.staff.name).toBe('Bianca');
    const { me } = await org.anonymous.as(signIn.token).ok(MeDocument);
    expect(me?.id).toBe(agent.staff.id);
  });

  it('stores passwords hashed (argon2id), never in clear', async () => {
    const [row] = await server.dataSource.query('SELECT password_hash FROM staff WHERE id = $1', [
      org.admin.staff.id,
    ]);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const agent = await newAgent(org);
    const wrong = await org.anonymous.fails(SignInDocument, {
      input: { email: agent.staff.email, password: 'not it at all' },
    });
    const unknown = await org.anonymous.fails(SignInDocument, {
      input: { email: 'nobody@example.com', password: 'whatever1' },
    });
    expect(wrong.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown).toEqual(wrong);
  });

  it('lets one email sign in to several organizations: the password picks the account, or the caller names the organization', async () => {
    const other = await newOrg(server);
    const email = other.admin.staff.email;
    // The same address in this organization, with a password of its own.
    await org.admin.api.ok(CreateStaffDocument, {
      input: { name: 'Twin', email, role: 'AGENT', password: 'a password of its own' },
    });
    const here = await org.anonymous.ok(SignInDocument, {
      input: { email, password: 'a password of its own' },
    });
    expect(here.signIn.staff.name).toBe('Twin');
    const there = await org.anonymous.ok(SignInDocument, { input: { email, password: PASSWORD } });
    expect(there.signIn.staff.id).toBe(other.admin.staff.id);

    // Both accounts with the same password: which one is the caller's to say.
    await org.admin.api.ok(CreateStaffDocument, {
      input: { name: 'Triplet', email: `same-${email}`, role: 'AGENT', password: PASSWORD },
    });
    const { createStaff: elsewhere } = await other.admin.api.ok(CreateStaffDocument, {
      input: { name: 'Triplet', email: `same-${email}`, role: 'AGENT', password: PASSWORD },
    });
    const ambiguous = await org.anonymous.fails(SignInDocument, {
      input: { email: `same-${email}`, password: PASSWORD },
    });
    expect(ambiguous.extensions?.code).toBe('BAD_USER_INPUT');
    expect(ambiguous.extensions?.field).toBe('organizationId');
    const organizations = ambiguous.extensions?.organizations as Array<{ id: string }>;
    expect(organizations.map((o) => o.id).sort()).toEqual(
      [org.admin.auth.organizationId, other.admin.auth.organizationId].sort(),
    );
    const named = await org.anonymous.ok(SignInDocument, {
      input: {
        email: `same-${email}`,
        password: PASSWORD,
        organizationId: other.admin.auth.organizationId,
      },
    });
    expect(named.signIn.staff.id).toBe(elsewhere.staff.id);
    const { me } = await org.anonymous.as(named.signIn.token).ok(MeDocument);
    expect(me?.id).toBe(elsewhere.staff.id);
  });

  it('slows down repeated failures for one email with RATE_LIMITED, even for the right password', async () => {
    const agent = await newAgent(org);
    for (let attempt = 0; attempt < 5; attempt++) {
      const error = await org.anonymous.fails(SignInDocument, {
        input: { email: agent.staff.email, password: 'guess-' + attempt },
      });
      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const limited = await org.anonymous.fails(SignInDocument, {
      input: { email: agent.staff.email, password: PASSWORD },
    });
    expect(limited.extensions?.code).toBe('RATE_LIMITED');
    expect(limited.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    // Other emails are not affected.
    await org.anonymous.ok(SignInDocument, {
      input: { email: org.admin.staff.email, password: PASSWORD },
    });
  });

  it('refuses a request without a token, and with a malformed one', async () => {
    const missing = await org.anonymous.request(MeDocument);
    expect(missing.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const malformed = await org.anonymous.as('tdm_not-a-real-token').request(MeDocument);
    expect(malformed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(malformed.data ?? null).toBeNull();
  });

  it('signOut revokes the token over HTTP', async () => {
    const agent = await newAgent(org);
    await agent.api.ok(SignOutDocument);
    const after = await agent.api.request(MeDocument);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('signOut closes the live WebSocket of that session with 4401', async () => {
    const agent = await newAgent(org);
    const window = await connect(server.wsUrl, agent.token);
    await agent.api.ok(SignOutDocument);
    const closed = await window.closed;
    expect(closed.code).toBe(4401);
  });

  it('refuses a WebSocket without a valid token with 4401 and a reason a client library can show', async () => {
    await expect(connect(server.wsUrl, undefined)).rejects.toMatchObject({
      code: 4401,
      reason: expect.stringMatching(/^Unauthorized: no token: send connectionParams/),
    });
    await expect(connect(server.wsUrl, 'tdm_wrong')).rejects.toMatchObject({
      code: 4401,
      reason: expect.stringMatching(/^Unauthorized: the token is not valid .*: sign in again$/),
    });
  });

  it('refuses an expired token', async () => {
    const agent = await newAgent(org);
    await server.dataSource.query(
      `UPDATE client_session SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [agent.sessionId],
    );
    const result = await agent.api.request(MeDocument);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('closes a socket whose session ended without a message (the periodic check)', async () => {
    const agent = await newAgent(org);
    const window = await connect(server.wsUrl, agent.token);
    await server.dataSource.query(`UPDATE client_session SET revoked_at = now() WHERE id = $1`, [
      agent.sessionId,
    ]);
    await server.sessions.check();
    expect((await window.closed).code).toBe(4401);
  });

  describe('API keys', () => {
    it('shows the key once, stores only its hash, and lets a partner call with it', async () => {
      const { createApiKey } = await org.admin.api.ok(CreateApiKeyDocument, {
        input: { name: 'CRM sync', role: 'INTEGRATION' },
      });
      expect(createApiKey.key).toMatch(/^tdk_/);
      const rows = await server.dataSource.query('SELECT * FROM api_key WHERE id = $1', [
        createApiKey.apiKey.id,
      ]);
      expect(JSON.stringify(rows)).not.toContain(createApiKey.key);
      const { apiKeys } = await org.admin.api.ok(ApiKeysDocument);
      expect(JSON.stringify(apiKeys)).not.toContain(createApiKey.key);

      const partner = new GraphQLClient(server.url, createApiKey.key);
      const { createCustomer } = await partner.ok(CreateCustomerDocument, {
        input: { name: 'From the CRM' },
      });
      expect(createCustomer.customer.name).toBe('From the CRM');
      const { me } = await partner.ok(MeDocument);
      expect(me).toBeNull();
    });

    it('limits an INTEGRATION key to what integrations may do', async () => {
      const { createApiKey } = await org.admin.api.ok(CreateApiKeyDocument, {
        input: { name: 'limited', role: 'INTEGRATION' },
      });
      const partner = new GraphQLClient(server.url, createApiKey.key);
      const error = await partner.fails(CreateStaffDocument, {
        input: { name: 'x', email: 'x@example.com', password: 'password1', role: 'ADMIN' },
      });
      expect(error.extensions?.code).toBe('FORBIDDEN');
    });

    it('refuses a revoked key', async () => {
      const { createApiKey } = await org.admin.api.ok(CreateApiKeyDocument, {
        input: { name: 'temp', role: 'INTEGRATION' },
      });
      await org.admin.api.ok(RevokeApiKeyDocument, { input: { apiKeyId: createApiKey.apiKey.id } });
      const partner = new GraphQLClient(server.url, createApiKey.key);
      const error = await partner.fails(CreateCustomerDocument, { input: { name: 'nope' } });
      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('lets only an ADMIN create keys', async () => {
      const agent = await newAgent(org);
      const error = await agent.api.fails(CreateApiKeyDocument, {
        input: { name: 'mine', role: 'INTEGRATION' },
      });
      expect(error.extensions?.code).toBe('FORBIDDEN');
      const [{ count }] = await server.dataSource.query(
        "SELECT count(*)::int AS count FROM api_key WHERE name = 'mine'",
      );
      expect(count).toBe(0);
    });
  });

  it('ends the sessions of a deactivated staff member at once', async () => {
    const agent = await newAgent(org);
    const window = await connect(server.wsUrl, agent.token);
    await server.services.staff.deactivate(org.admin.auth, agent.staff.id);
    expect((await window.closed).code).toBe(4401);
    await eventually(
      async () =>
        (await agent.api.request(MeDocument)).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
    );
    const error = await org.anonymous.fails(SignInDocument, {
      input: { email: agent.staff.email, password: PASSWORD },
    });
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
