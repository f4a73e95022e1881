import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../../src/config';

/** A server under test's configuration: the defaults, and a throwaway key (no bench stores provider secrets). */
export function benchConfig(): Config {
  return loadConfig({ SECRETS_KEY: randomBytes(32).toString('base64') });
}
