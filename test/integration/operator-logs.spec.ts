import { capturingLogger } from '../support/log-capture';
import { runOperatorWorkload, type WorkloadResult } from '../support/operator-workload';
import { startTestServer, type TestServer } from '../support/server';

describe('issue 19: structured logs of a scripted workload', () => {
  const logger = capturingLogger('debug');
  let server: TestServer;
  let work: WorkloadResult;

  beforeAll(async () => {
    server = await startTestServer({
      logger,
      config: { metricsToken: 'metrics-token-0123456789' },
    });
    work = await runOperatorWorkload(server);
    // A probe and a scrape: logged at debug, like every request, with nothing of their headers.
    await fetch(server.url.replace(/\/graphql$/, '/readyz'));
    await fetch(server.metricsUrl as string, {
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    });
  }, 60_000);
  afterAll(() => server.stop());

  it('never writes a token, a password, a secret or a message body', () => {
    const text = logger.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [...work.secrets, 'metrics-token-0123456789']) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/tdm_[\w-]{20}|tdk_[\w-]{20}|\$argon2/);
  });

  it('writes every line as JSON, with a level, a time and a message', () => {
    expect(logger.lines.length).toBeGreaterThan(10);
    for (const line of logger.lines) {
      expect(line).toMatchObject({ level: expect.any(String), msg: expect.any(String) });
      expect(Date.parse(String(line.time))).not.toBeNaN();
    }
  });

  it('writes one line per request: its id (the one it carried), operation, caller, duration and outcome', () => {
    const signIn = logger.lines.filter((line) => line.requestId === work.requestId);
    expect(signIn).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request',
        method: 'POST',
        path: '/graphql',
        status: 200,
        type: 'mutation',
        operation: 'signIn',
        operationName: 'SignIn',
        outcome: 'OK',
        durationMs: expect.any(Number),
      }),
    ]);
    const pages = logger.lines.filter(
      (line) =>
        line.msg === 'request' &&
        line.operation === 'customers' &&
        line.organization === work.organizationId,
    );
    expect(pages).toHaveLength(3);
    for (const page of pages) {
      expect(page).toMatchObject({
        outcome: 'OK',
        session: expect.any(String),
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
    }
    expect(
      logger.lines.filter(
        (line) =>
          line.msg === 'request' &&
          line.operation === 'signIn' &&
          line.outcome === 'UNAUTHENTICATED',
      ),
    ).toHaveLength(1);
    expect(
      logger.lines.find((line) => line.msg === 'request' && line.path === '/readyz'),
    ).toMatchObject({ level: 'debug', status: 200 });
    expect(
      logger.lines.find((line) => line.msg === 'request' && line.path === '/metrics'),
    ).toMatchObject({ level: 'debug', status: 200 });
  });

  it('writes a line per socket lifecycle event and per socket operation', () => {
    const ours = logger.lines.filter((line) => line.organization === work.organizationId);
    const connected = ours.find((line) => line.msg === 'socket connected');
    expect(connected).toMatchObject({
      level: 'info',
      window: expect.any(String),
      session: expect.any(String),
      requestId: expect.any(String),
    });
    const sameSocket = ours.filter((line) => line.window === connected?.window);
    expect(sameSocket.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['socket connected', 'socket operation', 'socket closed']),
    );
    expect(sameSocket.find((line) => line.msg === 'socket closed')).toMatchObject({
      code: 1000,
      durationMs: expect.any(Number),
    });
    const operations = sameSocket.filter((line) => line.msg === 'socket operation');
    expect(operations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'subscription',
          operation: 'ticketLockEvents',
          outcome: 'OK',
          socket: connected?.requestId,
        }),
        expect.objectContaining({ type: 'query', operation: 'me', outcome: 'OK' }),
      ]),
    );
  });
});
