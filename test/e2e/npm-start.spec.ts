import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { MeDocument, SignInDocument } from '../generated/graphql';
import { GraphQLClient } from '../support/client';
import { eventually } from '../support/factories';
import { connect } from '../support/ws';
import { childEnv, fromSource, NodeProcess, run } from '../support/child-process';

const READY = /GraphQL \(and playground\):\s+(http:\/\/\S+)[\s\S]*Authorization: Bearer/;
const PASSWORD_LINE = /password:\s+(\S+)\s+<- shown once/;
const ADMIN_EMAIL = 'admin@tandem.local';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process that holds the cluster's `postmaster.pid`, if it is still running. */
function livePostmaster(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Processes whose command line names a path under `dir` (postgres runs as `postgres -D <dir>`). */
function processesUnder(dir: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return command.includes(dir) ? [`${pid}: ${command}`] : [];
      } catch {
        return []; // ended meanwhile
      }
    });
}

/** Counts the organizations in the running embedded cluster, as its own files describe it. */
async function countOrganizations(dataDir: string): Promise<number> {
  const { user, password } = JSON.parse(
    readFileSync(path.join(dataDir, 'pg-credentials.json'), 'utf8'),
  ) as { user: string; password: string };
  // postmaster.pid: pid, data directory, start time, port, ...
  const port = Number(
    readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3],
  );
  const client = new Client({ host: '127.0.0.1', port, user, password, database: 'tandem' });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM organization',
    );
    return rows[0]?.count ?? -1;
  } finally {
    await client.end();
  }
}

/** Every process a test started, so that a failed test leaves none running. */
const started: NodeProcess[] = [];

/** `npm start` without its build step: the real entry point, as an operator runs it. */
function startTandem(dataDir: string, logLevel = 'info', port = 0): NodeProcess {
  const tandem = new NodeProcess(
    fromSource('src/main.ts'),
    childEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: logLevel }),
  );
  started.push(tandem);
  return tandem;
}

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'tandem-e2e-'));
  // As root, postgres runs as the "postgres" user, who must reach the data folder.
  await chmod(workDir, 0o755);
});

afterAll(async () => {
  await Promise.all(started.map((tandem) => tandem.kill()));
  // A postgres orphaned by a failed test: stop it by its pid before removing its folder.
  for (const line of processesUnder(workDir)) {
    const pid = Number(line.split(':')[0]);
    if (isAlive(pid)) process.kill(pid, 'SIGINT');
  }
  await eventually(() => processesUnder(workDir).length === 0, 15_000, 'orphans to stop');
  await rm(workDir, { recursive: true, force: true });
});

describe('npm start on an empty DATA_DIR', () => {
  let dataDir: string;
  let tandem: NodeProcess;
  let graphqlUrl: URL;
  let password: string;
  let token: string;

  beforeAll(async () => {
    dataDir = path.join(workDir, 'data');
    tandem = startTandem(dataDir);
    graphqlUrl = new URL((await tandem.waitForOutput(READY, 60_000))[1] as string);
    password = tandem.stdout.match(PASSWORD_LINE)?.[1] ?? '';
  }, 90_000);

  it('prints its URL with the real port it listens on (PORT=0)', () => {
    expect(Number(graphqlUrl.port)).toBeGreaterThan(0);
    expect(graphqlUrl.pathname).toBe('/graphql');
  });

  it('creates an organization and prints its ADMIN password once', () => {
    expect(tandem.stdout).toMatch(/First start: created an organization/);
    expect(tandem.stdout).toContain(ADMIN_EMAIL);
    expect(password.length).toBeGreaterThanOrEqual(8);
    expect(tandem.stdout.split(password)).toHaveLength(2);
  });

  it('answers me after signIn with the printed password', async () => {
    const anonymous = new GraphQLClient(graphqlUrl.toString());
    const { signIn } = await anonymous.ok(SignInDocument, {
      input: { email: ADMIN_EMAIL, password },
    });
    token = signIn.token;
    const { me } = await anonymous.as(token).ok(MeDocument);
    expect(me).toMatchObject({ id: signIn.staff.id, email: ADMIN_EMAIL, role: 'ADMIN' });
  });

  it('serves a self-contained GraphiQL playground to a browser on GET /graphql', async () => {
    const page = await fetch(graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toMatch(/graphiql/i);
    expect(html).toContain('Tandem playground');
    // It must work with no internet: no script or stylesheet is loaded from elsewhere.
    expect(html.match(/<script\b[^>]*\bsrc\s*=\s*["']?(https?:)?\/\//gi)).toBeNull();
    expect(html.match(/<link\b[^>]*\bhref\s*=\s*["']?(https?:)?\/\//gi)).toBeNull();
    expect(html.match(/@import\s+(url\()?\s*["']?(https?:)?\/\//gi)).toBeNull();
  });

  it.each(['/healthz', '/readyz'])('answers %s with 200', async (probe) => {
    const health = await fetch(new URL(probe, graphqlUrl));
    expect(health.status).toBe(200);
  });

  // Last: it ends the process the tests above share.
  it('on SIGTERM closes sockets with 1001, stops its PostgreSQL and exits 0 within seconds', async () => {
    token ??= (
      await new GraphQLClient(graphqlUrl.toString()).ok(SignInDocument, {
        input: { email: ADMIN_EMAIL, password },
      })
    ).signIn.token;
    const window = await connect(graphqlUrl.toString().replace(/^http/, 'ws'), token);
    const postmaster = livePostmaster(dataDir);
    expect(postmaster).toBeDefined();

    const stoppedAt = Date.now();
    tandem.child.kill('SIGTERM');
    expect(await tandem.exit(10_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect((await window.closed).code).toBe(1001);
    expect(livePostmaster(dataDir)).toBeUndefined();
    expect(isAlive(postmaster as number)).toBe(false);
    expect(processesUnder(dataDir)).toEqual([]);
  }, 30_000);

  describe('started again on the same DATA_DIR', () => {
    let again: NodeProcess;
    let againUrl: string;

    beforeAll(async () => {
      await tandem.kill(); // when run alone, without the SIGTERM test
      again = startTandem(dataDir);
      againUrl = (await again.waitForOutput(READY, 60_000))[1] as string;
    }, 90_000);

    it('does not create another organization and prints no password', async () => {
      expect(again.stdout).not.toMatch(/First start/);
      expect(again.stdout).not.toMatch(PASSWORD_LINE);
      expect(await countOrganizations(dataDir)).toBe(1);
    });

    it('still lets the first ADMIN sign in with the password printed the first time', async () => {
      const { signIn } = await new GraphQLClient(againUrl).ok(SignInDocument, {
        input: { email: ADMIN_EMAIL, password },
      });
      expect(signIn.staff.role).toBe('ADMIN');
    });

    afterAll(async () => {
      again.child.kill('SIGTERM');
      await again.exit(10_000);
    });
  });
});

describe('npm start interrupted while starting', () => {
  it.each([
    ['while the embedded PostgreSQL is being initialised', /initialising an embedded PostgreSQL/],
    ['once PostgreSQL runs, before the server listens', /ready to accept connections/],
    ['just after it printed that it is ready', READY],
  ])(
    'exits 0 and leaves no PostgreSQL running when SIGTERM arrives %s',
    async (_when, moment) => {
      const dataDir = path.join(workDir, `data-${Date.now().toString(36)}`);
      // At debug level PostgreSQL's own log is printed, which tells when it accepts connections.
      const tandem = startTandem(dataDir, 'debug');
      await tandem.waitForOutput(moment, 60_000);
      tandem.child.kill('SIGTERM');
      const exit = await tandem.exit(20_000);
      expect({ exit, stderr: tandem.stderr }).toEqual({
        exit: { code: 0, signal: null },
        stderr: '',
      });
      expect(livePostmaster(dataDir)).toBeUndefined();
      expect(processesUnder(dataDir)).toEqual([]);
    },
    90_000,
  );
});

describe('npm start on a busy port, then again', () => {
  let dataDir: string;
  let busy: net.Server;
  let port: number;

  beforeAll(async () => {
    dataDir = path.join(workDir, 'data-busy');
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    port = (busy.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('exits non-zero with one line naming the port, having created nothing', async () => {
    const tandem = startTandem(dataDir, 'info', port);
    const exit = await tandem.exit(30_000);
    expect(exit.code).not.toBe(0);
    const lines = tandem.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      `[tandem] cannot start: port ${port} on 0.0.0.0 is already in use (another Tandem?): stop what uses it, or set PORT`,
    ]);
    expect(tandem.stdout).not.toMatch(/password/);
    expect(existsSync(dataDir)).toBe(false);
    expect(processesUnder(dataDir)).toEqual([]);
  }, 60_000);

  it('a second start on the same DATA_DIR shows the password; a third says how to reset it, and reset-password works', async () => {
    const second = startTandem(dataDir);
    await second.waitForOutput(READY, 60_000);
    expect(second.stdout).toMatch(PASSWORD_LINE);
    await second.kill();

    const third = startTandem(dataDir);
    const url = (await third.waitForOutput(READY, 60_000))[1] as string;
    expect(third.stdout).not.toMatch(PASSWORD_LINE);
    expect(third.stdout).toContain(
      `if it is lost:  npx tandem staff reset-password --email ${ADMIN_EMAIL}`,
    );
    // The operator resets it while the server runs (the CLI joins its embedded PostgreSQL).
    const reset = await run(
      fromSource('src/cli/tandem.ts', 'staff', 'reset-password', '--email', ADMIN_EMAIL),
      childEnv({ DATA_DIR: dataDir }),
    );
    expect(reset).toMatchObject({ code: 0, stderr: '' });
    const password = reset.stdout.match(/reset to: (\S+)/)?.[1] ?? '';
    const { signIn } = await new GraphQLClient(url).ok(SignInDocument, {
      input: { email: ADMIN_EMAIL, password },
    });
    expect(signIn.staff.role).toBe('ADMIN');
    third.child.kill('SIGTERM');
    expect(await third.exit(10_000)).toEqual({ code: 0, signal: null });
    expect(third.stdout).toMatch(/drained: stopped cleanly/);

    // Once the ADMIN has signed in, a start no longer mentions it.
    const fourth = startTandem(dataDir);
    await fourth.waitForOutput(READY, 60_000);
    expect(fourth.stdout).not.toMatch(/reset-password/);
    await fourth.kill();
  }, 240_000);
});
