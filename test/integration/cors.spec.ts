import WebSocket from 'ws';
import { newAgent, newOrg, PASSWORD, type Member, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

/** A console served from its own dev origin, allowed by CORS_ORIGINS. */
const CONSOLE = 'http://127.0.0.1:4599';
const STRANGER = 'http://evil.example';

describe('browsers on another origin: CORS, CSRF prevention and WebSocket origins', () => {
  let server: TestServer;
  let org: Org;
  let agent: Member;

  beforeAll(async () => {
    server = await startTestServer({ config: { corsOrigins: [CONSOLE] } });
    org = await newOrg(server);
    agent = await newAgent(org, { name: 'Ines' });
  });
  afterAll(() => server.stop());

  const preflight = (origin: string) =>
    fetch(server.url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-client-session',
      },
    });

  it('answers a preflight from an allowed origin with the headers a console sends', async () => {
    const answer = await preflight(CONSOLE);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    const allowed = answer.headers.get('access-control-allow-headers')?.split(',') ?? [];
    expect(allowed).toEqual(
      expect.arrayContaining([
        'authorization',
        'content-type',
        'x-client-session',
        'apollo-require-preflight',
        'x-apollo-operation-name',
      ]),
    );
    expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('gives a refused origin no CORS header, on the preflight and on the request', async () => {
    const refused = await preflight(STRANGER);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const post = await fetch(server.url, {
      method: 'POST',
      headers: { origin: STRANGER, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('signs in from the allowed origin, and the answer is readable there', async () => {
    const answer = await fetch(server.url, {
      method: 'POST',
      headers: { origin: CONSOLE, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: SignInInput!) { signIn(input: $input) { token } }',
        variables: { input: { email: agent.staff.email, password: PASSWORD } },
      }),
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    const body = (await answer.json()) as { data?: { signIn: { token: string } } };
    expect(body.data?.signIn.token).toMatch(/\S/);
  });

  it('answers a GET query with Authorization (urql’s default); refuses one without a preflight header', async () => {
    const url = `${server.url}?query=${encodeURIComponent('{ me { name } }')}`;
    const withToken = await fetch(url, {
      headers: { origin: CONSOLE, authorization: `Bearer ${agent.token}` },
    });
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toEqual({ data: { me: { name: 'Ines' } } });
    expect(withToken.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    const simple = await fetch(url, { headers: { origin: CONSOLE } });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/);
  });

  it('still refuses a simple-request POST (text/plain), even with a token in the body’s place', async () => {
    const answer = await fetch(server.url, {
      method: 'POST',
      headers: { origin: CONSOLE, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: 'mutation { signOut { signedOut } }' }),
    });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toMatch(/CSRF/);
  });

  /** The status of a WebSocket upgrade sent with these headers (101 when it opened). */
  function upgrade(headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', (error) => reject(error));
    });
  }

  it('refuses a WebSocket from an origin neither its own nor allowed; others connect', async () => {
    const own = new URL(server.url).origin;
    expect(await upgrade({ origin: STRANGER })).toBe(403);
    expect(await upgrade({ origin: 'null' })).toBe(403);
    expect(await upgrade({ origin: CONSOLE })).toBe(101);
    expect(await upgrade({ origin: own })).toBe(101);
    expect(await upgrade({})).toBe(101); // a server or a CLI sends no Origin
  });
});
