import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  ApiKeysDocument,
  CreateStaffDocument,
  CustomersDocument,
  MeDocument,
  SignInDocument,
} from '../generated/graphql';
import { GraphQLClient } from '../support/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testPostgresUrl } from '../support/env';
import { startTestServer, type TestServer } from '../support/server';
import { childEnv, fromSource, run } from '../support/child-process';

const PASSWORD = 'operator chose this';

/** The operator CLI from source (dist/ may be stale while developing), on `databaseUrl`. */
function tandem(databaseUrl: string, ...args: string[]) {
  return run(fromSource('src/cli/tandem.ts', ...args), childEnv({ DATABASE_URL: databaseUrl }));
}

/** The one line a refused command prints; fails when it printed more, or anything on stdout. */
function oneLineRefusal(result: { code: number | null; stdout: string; stderr: string }): string {
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

const unique = () => randomBytes(4).toString('hex');

describe('tandem migrate', () => {
  let admin: Client;
  const name = `tandem_cli_${unique()}`;

  beforeAll(async () => {
    admin = new Client({ connectionString: new URL('/postgres', testPostgresUrl()).toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('applies every migration to an empty database, then has nothing left to apply', async () => {
    const url = new URL(`/${name}`, testPostgresUrl()).toString();
    const first = await tandem(url, 'migrate');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^applied \S+/);

    const again = await tandem(url, 'migrate');
    expect(again).toEqual({ code: 0, stdout: 'no pending migration\n', stderr: '' });

    const database = new Client({ connectionString: url });
    await database.connect();
    try {
      const { rows } = await database.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM organization',
      );
      expect(rows[0]?.count).toBe(0);
    } finally {
      await database.end();
    }
  }, 60_000);
});

describe('commands on a database never migrated', () => {
  let admin: Client;
  const name = `tandem_cli_fresh_${unique()}`;

  beforeAll(async () => {
    admin = new Client({ connectionString: new URL('/postgres', testPostgresUrl()).toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('org create migrates first, then creates the organization', async () => {
    const url = new URL(`/${name}`, testPostgresUrl()).toString();
    const created = await tandem(
      url,
      ...['org', 'create', '--name', 'Fresh', '--admin-email', `f-${unique()}@example.com`],
      ...['--admin-password', PASSWORD],
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^organization \S+ "Fresh"; ADMIN /);
    expect(await tandem(url, 'migrate')).toEqual({
      code: 0,
      stdout: 'no pending migration\n',
      stderr: '',
    });
  }, 60_000);

  it('a database that cannot be reached is one line, not a stack trace', async () => {
    const url = new URL(`/${name}_missing`, testPostgresUrl()).toString();
    const message = oneLineRefusal(await tandem(url, 'migrate'));
    expect(message).toMatch(/^tandem: .*does not exist/);
  }, 60_000);
});

describe('tandem staff reset-password', () => {
  let database: TestDatabase;
  let server: TestServer;
  let anonymous: GraphQLClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startTestServer({ database, pubsub: 'in-process' });
    anonymous = new GraphQLClient(server.url);
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    await database.drop();
  });

  it('gives a new password, printed once, and ends the sign-ins made with the old one', async () => {
    const email = `lost-${unique()}@example.com`;
    await tandem(
      database.url,
      ...['org', 'create', '--name', 'Lost', '--admin-email', email, '--admin-password', PASSWORD],
    );
    const before = await anonymous.ok(SignInDocument, { input: { email, password: PASSWORD } });
    const reset = await tandem(database.url, 'staff', 'reset-password', '--email', email);
    expect(reset).toMatchObject({ code: 0, stderr: '' });
    const password = reset.stdout.match(/^password of \S+ reset to: (\S+)$/m)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(8);
    expect(reset.stdout.split(password)).toHaveLength(2);
    const { signIn } = await anonymous.ok(SignInDocument, { input: { email, password } });
    expect(signIn.staff.role).toBe('ADMIN');
    expect(
      (await anonymous.fails(SignInDocument, { input: { email, password: PASSWORD } })).extensions
        ?.code,
    ).toBe('UNAUTHENTICATED');
    expect((await anonymous.as(before.signIn.token).fails(MeDocument)).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  }, 60_000);

  it('takes the password given, and names the organizations when the email is used in several', async () => {
    const email = `twice-${unique()}@example.com`;
    const orgIds: string[] = [];
    for (const [name, password] of [
      ['One', PASSWORD],
      ['Two', 'second password'],
    ]) {
      const created = await tandem(
        database.url,
        ...[
          'org',
          'create',
          '--name',
          name!,
          '--admin-email',
          email,
          '--admin-password',
          password!,
        ],
      );
      orgIds.push(created.stdout.match(/^organization (\S+)/)?.[1] ?? '');
    }
    const ambiguous = oneLineRefusal(
      await tandem(database.url, 'staff', 'reset-password', '--email', email),
    );
    expect(ambiguous).toMatch(/--org/);
    for (const id of orgIds) expect(ambiguous).toContain(id);
    const chosen = await tandem(
      database.url,
      ...['staff', 'reset-password', '--email', email, '--org', orgIds[1]!],
      ...['--password', 'chosen by the operator'],
    );
    expect(chosen).toMatchObject({ code: 0, stderr: '' });
    expect(chosen.stdout).not.toContain('chosen by the operator');
    const { signIn } = await anonymous.ok(SignInDocument, {
      input: { email, password: 'chosen by the operator' },
    });
    expect(signIn.staff.id).toBeDefined();
    expect(
      oneLineRefusal(
        await tandem(
          database.url,
          'staff',
          'reset-password',
          '--email',
          `nobody-${unique()}@example.com`,
        ),
      ),
    ).toMatch(/^tandem: no staff member signs in with/);
  }, 90_000);
});

describe('tandem org create and api-key create', () => {
  let database: TestDatabase;
  let server: TestServer;
  let anonymous: GraphQLClient;
  let email: string;
  let orgId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startTestServer({ database, pubsub: 'in-process' });
    anonymous = new GraphQLClient(server.url);
    email = `owner-${unique()}@example.com`;
    const created = await tandem(
      database.url,
      ...['org', 'create', '--name', 'Acme Support', '--admin-email', email],
      ...['--admin-password', PASSWORD],
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    orgId = created.stdout.match(/^organization (\S+) "Acme Support"; ADMIN (\S+)$/m)?.[1] ?? '';
  }, 60_000);

  afterAll(async () => {
    await server.stop();
    await database.drop();
  });

  /** The key printed by `api-key create`. */
  async function createKey(role: string, name = `key ${unique()}`): Promise<string> {
    const result = await tandem(
      database.url,
      ...['api-key', 'create', '--org', orgId, '--role', role, '--name', name],
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const key = result.stdout.match(/^api key \S+ \((\w+)\): (\S+)$/m);
    expect(key?.[1]).toBe(role.toUpperCase());
    return key?.[2] ?? '';
  }

  it('org create prints the id of the new organization', async () => {
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);
    const [row] = await server.dataSource.query('SELECT name FROM organization WHERE id = $1', [
      orgId,
    ]);
    expect(row).toEqual({ name: 'Acme Support' });
  });

  it("lets the organization's ADMIN sign in through the server", async () => {
    const { signIn } = await anonymous.ok(SignInDocument, {
      input: { email, password: PASSWORD },
    });
    expect(signIn.staff).toMatchObject({ name: 'Administrator', role: 'ADMIN' });
    const { me } = await anonymous.as(signIn.token).ok(MeDocument);
    expect(me).toMatchObject({ email, role: 'ADMIN' });
  });

  it('api-key create prints a key that works as a bearer token with the role given', async () => {
    const integration = anonymous.as(await createKey('integration', 'CRM sync'));
    const { customers } = await integration.ok(CustomersDocument, { first: 5 });
    expect(customers.edges).toEqual([]);
    // What an INTEGRATION may not do: manage keys or staff.
    expect((await integration.fails(ApiKeysDocument)).extensions?.code).toBe('FORBIDDEN');
    const staff = await integration.fails(CreateStaffDocument, {
      input: { name: 'x', email: `x-${unique()}@example.com`, password: PASSWORD, role: 'AGENT' },
    });
    expect(staff.extensions?.code).toBe('FORBIDDEN');

    const adminKey = anonymous.as(await createKey('ADMIN', 'ops'));
    const { apiKeys } = await adminKey.ok(ApiKeysDocument);
    expect(apiKeys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'CRM sync', role: 'INTEGRATION', revokedAt: null }),
        expect.objectContaining({ name: 'ops', role: 'ADMIN', revokedAt: null }),
      ]),
    );
  }, 60_000);

  it('org create takes an ADMIN email another organization uses (emails are per organization): the password picks the account', async () => {
    const created = await tandem(
      database.url,
      ...['org', 'create', '--name', 'Copycat', '--admin-email', email.toUpperCase()],
      ...['--admin-password', 'another password'],
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const { signIn } = await anonymous.ok(SignInDocument, {
      input: { email, password: 'another password' },
    });
    const [row] = await server.dataSource.query(
      'SELECT o.name FROM staff s JOIN organization o ON o.id = s.organization_id WHERE s.id = $1',
      [signIn.staff.id],
    );
    expect(row).toEqual({ name: 'Copycat' });
  });

  describe('refuses, with a non-zero exit and a one-line message', () => {
    it('a role that does not exist', async () => {
      const message = oneLineRefusal(
        await tandem(database.url, 'api-key', 'create', '--org', orgId, '--role', 'OWNER'),
      );
      expect(message).toMatch(/OWNER/);
      expect(message).toMatch(/INTEGRATION, DISPATCHER, SUPERVISOR, ADMIN/);
    });

    it('the AGENT role for a key (agents are people who sign in)', async () => {
      const message = oneLineRefusal(
        await tandem(database.url, 'api-key', 'create', '--org', orgId, '--role', 'AGENT'),
      );
      expect(message).toMatch(/AGENT/);
    });

    it.each([
      ['an unknown organization', randomUUID()],
      ['an organization id that is not a uuid', 'acme'],
    ])('%s', async (_what, org) => {
      const message = oneLineRefusal(
        await tandem(database.url, 'api-key', 'create', '--org', org, '--role', 'INTEGRATION'),
      );
      expect(message).toBe(`tandem: no organization ${org}`);
    });

    it('an ADMIN password shorter than 8 characters', async () => {
      const message = oneLineRefusal(
        await tandem(
          database.url,
          ...['org', 'create', '--name', 'Short', '--admin-email', `s-${unique()}@example.com`],
          ...['--admin-password', 'short'],
        ),
      );
      expect(message).toMatch(/at least 8 characters/);
    });

    it('a missing required option', async () => {
      const message = oneLineRefusal(await tandem(database.url, 'org', 'create', '--name', 'x'));
      expect(message).toMatch(/--admin-email/);
    });
  });
});

describe('bin/tandem.js', () => {
  it('runs the CLI (the build when up to date, the source otherwise)', async () => {
    const database = await createTestDatabase();
    try {
      const result = await run(
        ['bin/tandem.js', 'migrate'],
        childEnv({ DATABASE_URL: database.url }),
      );
      expect(result).toEqual({ code: 0, stdout: 'no pending migration\n', stderr: '' });
    } finally {
      await database.drop();
    }
  }, 60_000);
});
