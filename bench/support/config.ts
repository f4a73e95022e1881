import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../../src/config';

/** A server under test's configuration: the defaults, and a throwaway key (no bench stores provider secrets). */
export function benchConfig(): Config {
  return loadConfig({ SECRETS_KEY: randomBytes(32).toString('base64') });
}

/**
 * A server started in the benchmark's own process (`startServer`): `benchConfig()` on a free port
 * of 127.0.0.1, logging nothing, with these settings on top.
 */
export function inProcessConfig(overrides: Partial<Config> = {}): Config {
  return { ...benchConfig(), port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides };
}
