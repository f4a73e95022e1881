import { GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { formatError } from '../../src/errors/format-error';
import type { Logger } from '../../src/logger';
import { newOrg, type Org } from '../support/factories';
import { capturingLogger, type CapturedLogger } from '../support/log-capture';
import { startTestServer, type TestServer } from '../support/server';
import { connect, Subscription } from '../support/ws';

/** The error lines logged for a request id. */
const errorsFor = (logger: CapturedLogger, requestId: string) =>
  logger.lines.filter((line) => line.level === 'error' && line.requestId === requestId);

describe('every masked error is logged with a request id (issue 13)', () => {
  let server: TestServer;
  let org: Org;
  const logger = capturingLogger();

  beforeAll(async () => {
    server = await startTestServer({ logger });
    org = await newOrg(server);
  });
  afterAll(() => server.stop());
  afterEach(() => jest.restoreAllMocks());

  const failOnce = () =>
    jest
      .spyOn(server.services.customers, 'list')
      .mockRejectedValueOnce(new Error('a fault of ours, with SQL in it'));

  async function ask(headers: Record<string, string> = {}) {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${org.admin.token}`,
        ...headers,
      },
      body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } }' }),
    });
    const body = (await response.json()) as {
      errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    };
    return { response, body };
  }

  it('uses the X-Request-Id a request carries: answered in the header, logged, and shown', async () => {
    failOnce();
    const { response, body } = await ask({ 'x-request-id': 'proxy-42.abc' });
    expect(response.headers.get('x-request-id')).toBe('proxy-42.abc');
    expect(body.errors?.[0]).toEqual({
      message: 'Internal server error',
      path: ['customers'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'proxy-42.abc' },
    });
    expect(errorsFor(logger, 'proxy-42.abc')).toEqual([
      expect.objectContaining({
        msg: 'unexpected error',
        err: expect.objectContaining({ message: 'a fault of ours, with SQL in it' }),
      }),
    ]);
  });

  it('makes one up otherwise (and for an X-Request-Id that is not a plain short word)', async () => {
    const headerSets: Array<Record<string, string>> = [
      {},
      { 'x-request-id': 'a b;c' },
      { 'x-request-id': 'x'.repeat(200) },
    ];
    for (const headers of headerSets) {
      failOnce();
      const { response, body } = await ask(headers);
      const id = response.headers.get('x-request-id') as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.errors?.[0]?.extensions?.requestId).toBe(id);
      expect(errorsFor(logger, id)).toEqual([expect.objectContaining({ msg: 'unexpected error' })]);
    }
  });

  it('gives every socket operation its own id', async () => {
    const window = await connect(server.wsUrl, org.admin.token);
    try {
      failOnce();
      const operation = new Subscription<unknown>(
        window.client,
        '{ customers(first: 1) { totalCount } }',
      );
      const result = await operation.next();
      const requestId = result.errors?.[0]?.extensions?.requestId as string;
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(errorsFor(logger, requestId)).toEqual([
        expect.objectContaining({ msg: 'unexpected error' }),
      ]);
    } finally {
      await window.dispose();
    }
  });
});

describe('the error formatter cannot throw (finding 5)', () => {
  const logger = capturingLogger();
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('no property of mine may be read');
      },
    },
  );
  const broken = new ArgumentValidationError('not a list' as never);

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'boom'],
    ['an object whose every property throws', hostile],
    ['a validation error without its list', broken],
    ['a GraphQLError wrapping one', new GraphQLError('x', { originalError: broken })],
  ])('masks %s, and logs it', (_what, error) => {
    const before = errorsFor(logger, 'r1').length;
    const shown = formatError({ message: 'x' }, error, logger, { requestId: 'r1' });
    expect(shown).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'r1' },
    });
    expect(errorsFor(logger, 'r1').length).toBeGreaterThan(before);
  });

  it('survives a formatted error that is not one, and a logger that throws', () => {
    const fail = () => {
      throw new Error('disk full');
    };
    const throwing: Logger = {
      error: fail,
      info: fail,
      debug: fail,
      record: fail,
      enabled: () => true,
    };
    expect(formatError(hostile as never, hostile, throwing).extensions?.code).toBe(
      'INTERNAL_SERVER_ERROR',
    );
  });
});
