import { serverAudits } from 'graphql-http';
import { startTestServer, type TestServer } from '../support/server';

const CSRF_REFUSAL = /Cross-Site Request Forgery/;

interface HttpAnswer {
  status: number;
  contentType: string | null;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

/**
 * GraphQL over HTTP, as the spec (https://graphql.github.io/graphql-over-http/) and the
 * `graphql-http` conformance audit read it, against a real server.
 */
describe('GraphQL over HTTP', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ pubsub: 'in-process' });
  });
  afterAll(() => server.stop());

  async function post(body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: (await response.json()) as HttpAnswer['body'],
    };
  }

  async function get(query: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const url = new URL(server.url);
    url.searchParams.set('query', query);
    const response = await fetch(url, { headers: { accept: 'application/json', ...headers } });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: (await response.json()) as HttpAnswer['body'],
    };
  }

  describe('the graphql-http audit', () => {
    // Every MUST passes, no SHOULD warns; a MAY may only be left as a notice by Apollo's CSRF
    // prevention (it refuses GETs without a preflight header), which stays on on purpose.
    for (const audit of serverAudits({ url: () => server.url })) {
      it(audit.name, async () => {
        const result = await audit.fn();
        if (result.status === 'ok') {
          expect(result).toMatchObject({ id: audit.id, status: 'ok' });
          return;
        }
        const body = await result.response.text();
        expect({ status: result.status, reason: result.reason, body }).toEqual({
          status: audit.name.startsWith('MAY') ? 'notice' : 'ok',
          reason: expect.any(String),
          body: expect.stringMatching(CSRF_REFUSAL),
        });
      });
    }
  });

  describe('status codes', () => {
    it('answers 200 with the errors in the body for an invalid query when the client takes application/json', async () => {
      const answer = await post({ query: '{ noSuchField }' }, { accept: 'application/json' });
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body.errors).toHaveLength(1);
      expect(answer.body).not.toHaveProperty('data');
    });

    it('answers 400 for an invalid query when the client takes application/graphql-response+json', async () => {
      const answer = await post(
        { query: '{ noSuchField }' },
        { accept: 'application/graphql-response+json' },
      );
      expect(answer.status).toBe(400);
      expect(answer.contentType).toMatch(/^application\/graphql-response\+json/);
      expect(answer.body.errors).toHaveLength(1);
      expect(answer.body).not.toHaveProperty('data');
    });

    it('keys the status on the media type it answers with, not on what the Accept header mentions', async () => {
      const json = await post(
        { query: '{ __typename' },
        { accept: 'application/json, application/graphql-response+json;q=0.5' },
      );
      expect(json.contentType).toMatch(/^application\/json/);
      expect(json.status).toBe(200);
      const graphql = await post(
        { query: '{ __typename' },
        { accept: '*/*;q=0.8, application/graphql-response+json' },
      );
      expect(graphql.contentType).toMatch(/^application\/graphql-response\+json/);
      expect(graphql.status).toBe(400);
    });

    it('answers 200 for variables that do not coerce when the client takes application/json', async () => {
      const answer = await post(
        {
          query: 'query ($email: String!) { __type(name: $email) { name } }',
          variables: { email: 42 },
        },
        { accept: 'application/json' },
      );
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toHaveLength(1);
      expect(answer.body).not.toHaveProperty('data');
    });

    it('answers 400 for a missing required variable when the client takes application/graphql-response+json', async () => {
      const answer = await post(
        { query: 'query ($email: String!) { __type(name: $email) { name } }' },
        { accept: 'application/graphql-response+json' },
      );
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toHaveLength(1);
    });

    it('answers an unknown operationName as a request error, not a server error', async () => {
      const answer = await post(
        { query: 'query A { __typename }', operationName: 'B' },
        { accept: 'application/json' },
      );
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toHaveLength(1);
    });

    it('keeps 400 for a request that is not a GraphQL request at all (no query)', async () => {
      const answer = await post({ qeury: '{ __typename }' }, { accept: 'application/json' });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    });
  });

  describe('error codes of refused requests', () => {
    it.each([
      ['a syntax error', { query: '{ __typename' }, 'GRAPHQL_PARSE_FAILED'],
      ['an unknown field', { query: '{ noSuchField }' }, 'GRAPHQL_VALIDATION_FAILED'],
      [
        'a variable of the wrong type',
        {
          query: 'query ($email: String!) { __type(name: $email) { name } }',
          variables: { email: 42 },
        },
        'BAD_USER_INPUT',
      ],
    ])('reports %s with its own code, not as an internal error', async (_what, body, code) => {
      const answer = await post(body, { accept: 'application/json' });
      expect(answer.body.errors?.[0]).toMatchObject({
        message: expect.not.stringMatching(/^Internal server error$/),
        extensions: { code },
      });
    });
  });

  describe('without a token', () => {
    it('answers __typename and introspection', async () => {
      const answer = await post({ query: '{ __typename __schema { queryType { name } } }' });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        data: { __typename: 'Query', __schema: { queryType: { name: 'Query' } } },
      });
    });

    it('refuses a root field that is not public with 401 UNAUTHENTICATED', async () => {
      const answer = await post({ query: '{ __typename me { id } }' });
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(answer.body.data ?? null).toBeNull();
    });
  });

  describe('CSRF prevention', () => {
    it('refuses a GET query without a content-type or preflight header', async () => {
      const answer = await get('{ __typename }');
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.message).toMatch(CSRF_REFUSAL);
      expect(answer.body).not.toHaveProperty('data');
    });

    it('refuses a POST sent as a simple (form) request, which a browser would not preflight', async () => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(CSRF_REFUSAL);
    });

    it('runs a GET query that carries the apollo-require-preflight header', async () => {
      const answer = await get('{ __typename }', { 'apollo-require-preflight': 'true' });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ data: { __typename: 'Query' } });
    });

    it('never runs a mutation over GET, even with the preflight header', async () => {
      const answer = await get(
        'mutation { signIn(input: { email: "a@example.com", password: "whatever1" }) { token } }',
        { 'apollo-require-preflight': 'true' },
      );
      expect(answer.status).toBe(405);
      expect(answer.body).not.toHaveProperty('data');
    });
  });
});
