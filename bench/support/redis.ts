import { execFileSync, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from '../../src/db/embedded-postgres';
import type { BenchContext } from './benchmark';

export interface BenchRedis {
  url: string;
  /** The redis-server process (its CPU time can be read); none for REDIS_URL. */
  pid: number | undefined;
  description: string;
}

function redisServerOnPath(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

async function version(url: string): Promise<string> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const info = await redis.info('server');
    return info.match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

/**
 * Redis for a benchmark: REDIS_URL when set, otherwise a throwaway `redis-server` from PATH on a
 * free loopback port, without persistence (as the tests start one), stopped when the benchmark
 * ends.
 */
export async function openBenchRedis(context: BenchContext): Promise<BenchRedis> {
  const external = process.env.REDIS_URL;
  if (external) {
    return {
      url: external,
      pid: undefined,
      description: `Redis ${await version(external)} at REDIS_URL`,
    };
  }
  const binary = redisServerOnPath();
  if (!binary) {
    throw new Error(
      'This benchmark needs Redis: install it (Debian: `apt-get install -y redis-server`) or set REDIS_URL=redis://host:port.',
    );
  }
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  context.defer(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return {
        url,
        pid: child.pid,
        description: `Redis ${await version(url)} (throwaway \`redis-server\`, no persistence)`,
      };
    } catch (error) {
      if (attempt > 100)
        throw new Error(`redis-server did not start on port ${port}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
