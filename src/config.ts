import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { parseSecretsKey } from './services/provider/secrets';

/** Everything the server reads from its environment, parsed and validated once at start-up. */
export interface Config {
  port: number;
  host: string;
  /** Postgres to use; when absent the server runs an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  /** Redis for the PubSub; when absent events stay in-process (a single instance). */
  redisUrl: string | undefined;
  dataDir: string;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** How long a sign-in token lives. */
  sessionTtlHours: number;
  /** A client session not seen for this long is dead and loses its ticket lock. */
  lockTtlSeconds: number;
  /** Events (and so resume cursors) are kept this long. */
  eventRetentionHours: number;
  /** Background jobs (webhooks, outbox) one instance runs at once. */
  jobConcurrency: number;
  /** How often an instance looks for jobs whose time came (new jobs wake it at once). */
  jobPollIntervalMs: number;
  /** Sends per second one sender number is allowed, across instances (C6's throttle). */
  outboxSendsPerSecond: number;
  /** The first retry of a failed send waits this long, doubling each time up to the max. */
  outboxRetryBaseMs: number;
  outboxRetryMaxMs: number;
  /** Sends tried before a message is FAILED. */
  outboxMaxAttempts: number;
  /** Query limits (graphql-armor's), refused before anything runs: see README, Configuration. */
  maxQueryDepth: number;
  maxQueryCost: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  /** Schema introspection (the playground needs it); off, error messages suggest no fields. */
  introspection: boolean;
  maxBodyBytes: number;
  /** New WebSockets above this count are refused with close code 1013 (try again later). */
  maxSockets: number;
  /**
   * Connections the kernel holds for the server before it accepts them (listen(2)'s backlog;
   * the kernel caps it at `net.core.somaxconn`). Node's default, 511, overflows when thousands
   * of consoles reconnect at once while the instance is busy: the kernel then drops their SYNs,
   * each waits for its retransmit (1 s, 3 s, 7 s...), and a load balancer's connect timeout
   * takes the instance for dead.
   */
  listenBacklog: number;
  /** Subscriptions one socket may hold at once; more are refused (the socket stays up). */
  maxSubscriptionsPerSocket: number;
  /** Subscriptions a socket may start per second, sustained (bursts up to the cap above). */
  subscribeRatePerSocket: number;
  /** A socket whose client left this many bytes unread is cut off as a slow consumer. */
  maxSocketBufferBytes: number;
  /**
   * On SIGTERM: how long the instance may take to hand its sockets over (closed with 1001, their
   * windows left alive for the TTL so that they reconnect elsewhere) and finish in-flight requests.
   */
  drainSeconds: number;
  /**
   * Which hops' `X-Forwarded-For` to believe for the client's address (TRUST_PROXY: `true`, a
   * number of hops, or addresses and subnets such as `loopback, 10.0.0.0/8`), as proxy-addr's
   * trust function; by default none, the socket's address is the client's.
   */
  trustProxy: (address: string, hop: number) => boolean;
  /**
   * Origins (`https://console.example.com`) whose browser pages may call the API (CORS) and open
   * WebSockets; the server's own origin (the playground) needs no entry. Empty: none.
   */
  corsOrigins: string[];
  /** Sign-in attempts one client address may make per minute, whatever the emails. */
  signInAttemptsPerMinute: number;
  /** Country used to read phone numbers written without an international prefix. */
  defaultPhoneCountry: string | undefined;
  /** An assist session still open after this long ends by itself (TIMED_OUT). */
  assistMaxMinutes: number;
  /**
   * Seals provider credentials (AES-256-GCM). Required with DATABASE_URL (the same on every
   * instance); the embedded default keeps a generated one in DATA_DIR (see requireSecretsKey).
   */
  secretsKey: Buffer | undefined;
  logLevel: 'silent' | 'error' | 'info' | 'debug';
  /** GET /metrics on the main port answers only a request bearing this token. */
  metricsToken: string | undefined;
  /** A listen address of its own for /metrics (then the main port has none). */
  metricsAddress: { host: string; port: number } | undefined;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be a whole number >= ${min} (got "${raw}")`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false (got "${env[name]}")`);
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function trustProxy(env: NodeJS.ProcessEnv): Config['trustProxy'] {
  const raw = optional(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false') return () => false;
  if (raw === 'true') return () => true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    return (_address, hop) => hop < hops;
  }
  try {
    return proxyaddr.compile(raw.split(',').map((entry) => entry.trim()));
  } catch (error) {
    throw new ConfigError(
      `TRUST_PROXY must be true, false, a number of hops, or addresses and subnets separated by commas (${(error as Error).message})`,
    );
  }
}

function secretsKey(env: NodeJS.ProcessEnv): Buffer | undefined {
  const raw = optional(env, 'SECRETS_KEY');
  if (raw === undefined) return undefined;
  const key = parseSecretsKey(raw);
  if (!key) {
    throw new ConfigError(
      'SECRETS_KEY must be 32 random bytes in base64 (openssl rand -base64 32) or 64 hex digits',
    );
  }
  return key;
}

/** The message a server started with DATABASE_URL and no SECRETS_KEY fails with. */
export const SECRETS_KEY_REQUIRED =
  'SECRETS_KEY is required with DATABASE_URL: 32 random bytes in base64 (openssl rand -base64 32), the same on every instance';

/** METRICS_ADDRESS: `host:port`, `[v6]:port` or a port alone (then on loopback). */
function metricsAddress(env: NodeJS.ProcessEnv): Config['metricsAddress'] {
  const raw = optional(env, 'METRICS_ADDRESS');
  if (raw === undefined) return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]+))?:?(\d{1,5})$/.exec(raw);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(
      `METRICS_ADDRESS must be host:port, [ipv6]:port or a port (got "${raw}")`,
    );
  }
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}

function metricsToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = optional(env, 'METRICS_TOKEN');
  if (token !== undefined && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters, without spaces');
  }
  return token;
}

/** CORS_ORIGINS: comma-separated origins, each exactly as a browser sends it (no path). */
function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  const raw = optional(env, 'CORS_ORIGINS');
  if (!raw) return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
        throw new ConfigError(
          `CORS_ORIGINS must list origins such as https://console.example.com (scheme, host, port; no path), separated by commas (got "${entry}")`,
        );
      }
      return url.origin;
    });
}

const LOG_LEVELS = ['silent', 'error', 'info', 'debug'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const country = optional(env, 'DEFAULT_PHONE_COUNTRY')?.toUpperCase();
  if (country !== undefined && !/^[A-Z]{2}$/.test(country)) {
    throw new ConfigError('DEFAULT_PHONE_COUNTRY must be a two-letter ISO country code, e.g. US');
  }
  return {
    port: integer(env, 'PORT', 4000),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: optional(env, 'DATABASE_URL'),
    redisUrl: optional(env, 'REDIS_URL'),
    dataDir: path.resolve(optional(env, 'DATA_DIR') ?? '.data'),
    adminEmail: optional(env, 'ADMIN_EMAIL'),
    adminPassword: optional(env, 'ADMIN_PASSWORD'),
    sessionTtlHours: integer(env, 'SESSION_TTL_HOURS', 12, 1),
    lockTtlSeconds: integer(env, 'LOCK_TTL_SECONDS', 30, 1),
    eventRetentionHours: integer(env, 'EVENT_RETENTION_HOURS', 72, 1),
    jobConcurrency: integer(env, 'JOB_CONCURRENCY', 4, 1),
    jobPollIntervalMs: integer(env, 'JOB_POLL_INTERVAL_MS', 1000, 50),
    outboxSendsPerSecond: integer(env, 'OUTBOX_SENDS_PER_SECOND', 50, 1),
    outboxRetryBaseMs: integer(env, 'OUTBOX_RETRY_BASE_MS', 1000, 10),
    outboxRetryMaxMs: integer(env, 'OUTBOX_RETRY_MAX_MS', 60_000, 10),
    outboxMaxAttempts: integer(env, 'OUTBOX_MAX_ATTEMPTS', 12, 1),
    maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 12, 2),
    maxQueryCost: integer(env, 'MAX_QUERY_COST', 20000, 10),
    maxAliases: integer(env, 'MAX_ALIASES', 15, 0),
    maxTokens: integer(env, 'MAX_TOKENS', 1000, 100),
    maxDirectives: integer(env, 'MAX_DIRECTIVES', 50, 0),
    introspection: flag(env, 'INTROSPECTION', env.NODE_ENV !== 'production'),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 100 * 1024, 1024),
    maxSockets: integer(env, 'MAX_SOCKETS', 15000, 1),
    listenBacklog: integer(env, 'LISTEN_BACKLOG', 65535, 1),
    maxSubscriptionsPerSocket: integer(env, 'MAX_SUBSCRIPTIONS_PER_SOCKET', 50, 1),
    subscribeRatePerSocket: integer(env, 'SUBSCRIBE_RATE_PER_SOCKET', 5, 1),
    maxSocketBufferBytes: integer(env, 'MAX_SOCKET_BUFFER_BYTES', 4 * 1024 * 1024, 64 * 1024),
    drainSeconds: integer(env, 'DRAIN_SECONDS', 10, 1),
    trustProxy: trustProxy(env),
    corsOrigins: corsOrigins(env),
    signInAttemptsPerMinute: integer(env, 'SIGN_IN_ATTEMPTS_PER_MINUTE', 20, 1),
    defaultPhoneCountry: country,
    assistMaxMinutes: integer(env, 'ASSIST_MAX_MINUTES', 120, 1),
    secretsKey: secretsKey(env),
    logLevel,
    metricsToken: metricsToken(env),
    metricsAddress: metricsAddress(env),
  };
}
