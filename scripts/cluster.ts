/**
 * `npm run cluster`: the multi-instance deployment of the README ("Deploying"), on this machine.
 * One PostgreSQL (DATABASE_URL, else the embedded one under DATA_DIR), one Redis (REDIS_URL, else a
 * throwaway `redis-server` from PATH), two Tandem instances (`dist/src/main.js`, as `npm start`
 * runs it) and Debian's nginx from PATH with deploy/nginx.conf in front. Like an orchestrator, it
 * starts an instance again when it exits: `kill -TERM <pid>` of one is a rolling restart's step.
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig, SECRETS_KEY_REQUIRED } from '../src/config';
import { createDataSource } from '../src/db/data-source';
import {
  freePort,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../src/db/embedded-postgres';
import { migrate } from '../src/db/migrate';
import { UnitOfWork } from '../src/db/unit-of-work';
import { createLogger } from '../src/logger';
import { OrganizationService } from '../src/services/organization/organization.service';
import { loadOrCreateKeyFile } from '../src/services/provider/secrets';
import { InProcessPubSub } from '../src/subscriptions/pubsub';
import { Nginx, nginxAvailable, NGINX_MISSING } from './nginx';

const ROOT = path.resolve(__dirname, '..');
const INSTANCES = Number(process.env.CLUSTER_INSTANCES ?? 2);
const LISTEN = process.env.CLUSTER_LISTEN ?? '127.0.0.1:8080';

const say = (line: string) => console.log(`[cluster] ${line}`);

/** Prefixes a child's output lines with its name. */
function relay(child: ChildProcess, name: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) console.log(`[${name}] ${line}`);
    });
  }
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('error', () =>
      reject(new Error('redis-server not found: apt-get install -y redis-server')),
    );
    child.once('spawn', () => resolve());
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

class Instance {
  child: ChildProcess | undefined;
  stopping = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  start(): void {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
      cwd: ROOT,
      env: { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    relay(child, this.name);
    say(`instance ${this.name}: pid ${child.pid}, http://127.0.0.1:${this.port}/graphql`);
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      say(`instance ${this.name} exited (${code ?? signal}): starting it again`);
      setTimeout(() => this.start(), 1000);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM'); // drains: its sockets are handed over, as in a rolling restart
    await exited;
  }
}

/** Prints each instance's /readyz whenever it changes (what an orchestrator's probe sees). */
function watchReadiness(instances: Instance[]): NodeJS.Timeout {
  const last = new Map<string, string>();
  return setInterval(() => {
    for (const instance of instances) {
      void fetch(`http://127.0.0.1:${instance.port}/readyz`, { signal: AbortSignal.timeout(900) })
        .then(async (response) => `${response.status} ${JSON.stringify(await response.json())}`)
        .catch(() => 'down')
        .then((state) => {
          if (last.get(instance.name) !== state) say(`instance ${instance.name} /readyz: ${state}`);
          last.set(instance.name, state);
        });
    }
  }, 1000);
}

async function main(): Promise<void> {
  if (!nginxAvailable()) throw new Error(NGINX_MISSING);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      say('stopping');
      for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) {
        await Promise.resolve(cleanup()).catch((error: unknown) => console.error(error));
      }
    })());
  process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));

  try {
    let embedded: EmbeddedPostgres | undefined;
    if (!config.databaseUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, logger);
      cleanups.push(() => embedded?.stop());
    }
    const databaseUrl = config.databaseUrl ?? (embedded as EmbeddedPostgres).url;
    const setup = createDataSource({ url: databaseUrl, logger, poolSize: 2 });
    await setup.initialize();
    let created: Awaited<ReturnType<OrganizationService['bootstrap']>>;
    try {
      await migrate(setup);
      created = await new OrganizationService(
        new UnitOfWork(setup, new InProcessPubSub(), logger),
      ).bootstrap(config.adminEmail, config.adminPassword);
    } finally {
      await setup.destroy();
    }

    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const redis = await startRedis();
      redisUrl = redis.url;
      cleanups.push(() => redis.child.kill('SIGTERM'));
    }

    // Every instance seals provider secrets with the same key: SECRETS_KEY, else (embedded
    // database) the key file `npm start` keeps under DATA_DIR.
    const secretsKey =
      process.env.SECRETS_KEY ??
      (embedded ? (await loadOrCreateKeyFile(config.dataDir)).toString('base64') : undefined);
    if (!secretsKey) throw new Error(SECRETS_KEY_REQUIRED);
    const env = {
      ...process.env,
      SECRETS_KEY: secretsKey,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      // Behind nginx on this machine: the client's address is the one nginx forwards.
      TRUST_PROXY: process.env.TRUST_PROXY ?? 'loopback',
    };
    const instances: Instance[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      instances.push(new Instance(String.fromCharCode(97 + i), await freePort(), env));
    }
    for (const instance of instances) instance.start();
    cleanups.push(() => Promise.all(instances.map((instance) => instance.stop())));
    const readiness = watchReadiness(instances);
    cleanups.push(() => clearInterval(readiness));

    const nginx = await Nginx.start({
      listen: LISTEN,
      upstreams: instances.map((instance) => `127.0.0.1:${instance.port}`),
      prefix: path.join(config.dataDir, 'nginx'),
    });
    cleanups.push(() => nginx.stop());
    nginx.child.once('exit', (code) => {
      if (!stopping) console.error(`[cluster] nginx exited (${code}):\n${nginx.stderr}`);
    });

    const lines = [
      `Tandem cluster: ${INSTANCES} instances behind nginx (deploy/nginx.conf).`,
      `  GraphQL (and playground):   ${nginx.url}`,
      `  Subscriptions (graphql-ws): ${nginx.wsUrl}`,
      `  Readiness:                  http://${LISTEN}/readyz`,
      `  Database: ${embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'}; Redis: ${config.redisUrl ? 'REDIS_URL' : redisUrl}`,
      `  Rolling restart: kill -TERM <pid> of an instance (above); it is started again.`,
    ];
    if (created) {
      lines.push(
        `  First start: created an organization and its ADMIN.`,
        `    email:    ${created.email}`,
        `    password: ${created.password ?? '(ADMIN_PASSWORD)'}${created.password ? '   <- shown once, keep it' : ''}`,
      );
    }
    console.log(lines.join('\n'));
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error('[cluster] failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
