import proxyaddr from 'proxy-addr';
import { SignInDocument } from '../generated/graphql';
import type { GraphQLResponse } from '../support/client';
import { newAgent, newOrg, PASSWORD, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

const ATTEMPTS_PER_MINUTE = 6;

describe('sign-in throttling (per email and address, per address)', () => {
  let server: TestServer;
  let org: Org;

  /** A sign-in attempt from `address`, as the load balancer in front of us forwards it. */
  const attempt = (
    address: string,
    email: string,
    password: string,
  ): Promise<GraphQLResponse<unknown>> =>
    org.anonymous.request(
      SignInDocument,
      { input: { email, password } },
      { 'x-forwarded-for': address },
    );
  const codeOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    server = await startTestServer({
      config: {
        trustProxy: proxyaddr.compile('loopback'),
        signInAttemptsPerMinute: ATTEMPTS_PER_MINUTE,
      },
    });
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('failures from one address never lock the owner out from another address', async () => {
    const agent = await newAgent(org);
    for (let i = 0; i < 5; i++) {
      expect(codeOf(await attempt('203.0.113.1', agent.staff.email, `guess-${i}`))).toBe(
        'UNAUTHENTICATED',
      );
    }
    const blocked = await attempt('203.0.113.1', agent.staff.email, PASSWORD);
    expect(codeOf(blocked)).toBe('RATE_LIMITED');
    expect(blocked.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    const owner = await attempt('198.51.100.7', agent.staff.email, PASSWORD);
    expect(owner.errors).toBeUndefined();
    expect(owner.data).toMatchObject({ signIn: { staff: { id: agent.staff.id } } });
  });

  it('decides before the password hash: of 30 concurrent wrong guesses at most 5 are checked, and the right password in the same burst is refused', async () => {
    const agent = await newAgent(org);
    const guesses = Array.from({ length: 30 }, (_, i) =>
      attempt('203.0.113.2', agent.staff.email, `wrong-${i}`),
    );
    // In the same burst, after the guesses were decided and while their hashes still run.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const right = await attempt('203.0.113.2', agent.staff.email, PASSWORD);
    const codes = (await Promise.all(guesses)).map(codeOf);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(5);
    expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(25);
    expect(codes.every((code) => code === 'UNAUTHENTICATED' || code === 'RATE_LIMITED')).toBe(true);
    expect(codeOf(right)).toBe('RATE_LIMITED');
    const [{ failures }] = await server.dataSource.query(
      'SELECT failures FROM sign_in_throttle WHERE email = $1 AND address = $2',
      [agent.staff.email, '203.0.113.2'],
    );
    expect(failures).toBe(5); // refused attempts counted nothing
  });

  it('limits the attempts of one address whatever the email (each costs a hash), and gives a successful attempt its token back', async () => {
    const codes = [];
    for (let i = 0; i < ATTEMPTS_PER_MINUTE + 1; i++) {
      codes.push(codeOf(await attempt('203.0.113.3', `nobody-${i}@example.com`, 'whatever1')));
    }
    expect(codes.slice(0, ATTEMPTS_PER_MINUTE).every((code) => code === 'UNAUTHENTICATED')).toBe(
      true,
    );
    const limited = await attempt('203.0.113.3', 'someone-else@example.com', 'whatever1');
    expect(codeOf(limited)).toBe('RATE_LIMITED');
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(codeOf(await attempt('203.0.113.4', 'nobody@example.com', 'whatever1'))).toBe(
      'UNAUTHENTICATED',
    );

    // An office behind one address: more successful sign-ins than the budget, all admitted.
    const staff = await Promise.all([1, 2].map(() => newAgent(org)));
    for (let round = 0; round < 4; round++) {
      for (const member of staff) {
        expect((await attempt('203.0.113.5', member.staff.email, PASSWORD)).errors).toBeUndefined();
      }
    }
  });

  it('believes X-Forwarded-For only from the proxies TRUST_PROXY names (by default none)', async () => {
    const untrusting = await startTestServer({ database: server.database });
    try {
      const agent = await newAgent(org);
      const spoofed = (address: string, password: string) =>
        org.anonymous
          .as(undefined)
          .request(
            SignInDocument,
            { input: { email: agent.staff.email, password } },
            { 'x-forwarded-for': address },
          )
          .then(codeOf);
      const viaUntrusting = (address: string, password: string) =>
        fetch(untrusting.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
          body: JSON.stringify({
            query: 'mutation($input: SignInInput!) { signIn(input: $input) { token } }',
            variables: { input: { email: agent.staff.email, password } },
          }),
        }).then(async (response) => {
          const body = (await response.json()) as GraphQLResponse<unknown>;
          return codeOf(body);
        });
      for (let i = 0; i < 5; i++) {
        expect(await viaUntrusting(`192.0.2.${i}`, `guess-${i}`)).toBe('UNAUTHENTICATED');
      }
      // Every guess came from 127.0.0.1 whatever the header said: the pair is blocked.
      expect(await viaUntrusting('192.0.2.99', PASSWORD)).toBe('RATE_LIMITED');
      // The trusting instance sees the forwarded addresses: the owner gets in.
      expect(await spoofed('198.51.100.8', PASSWORD)).toBeUndefined();
    } finally {
      await untrusting.stop();
    }
  });
});
