import { readFile, rm } from 'node:fs/promises';
import { PASSWORD } from '../support/factories';

/**
 * What no log line may hold (issue 19): the password every test signs in with, a sign-in token
 * or an API key (their shapes), a password hash.
 */
const SECRETS: Array<[string, RegExp]> = [
  ["the tests' password", new RegExp(PASSWORD)],
  ['a sign-in token', /tdm_[\w-]{43}/],
  ['an API key', /tdk_[\w-]{43}/],
  ['a password hash', /\$argon2/],
];

/** The run's server log, searched line by line; the failures name the line, never the secret. */
async function secretsLogged(logFile: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch {
    return []; // no test server logged anything (or a run of tests that start none)
  }
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const [what, pattern] of SECRETS) {
      if (pattern.test(line)) found.push(`${logFile}:${index + 1} holds ${what}`);
    }
  });
  return found;
}

export default async function globalTeardown(): Promise<void> {
  const services = globalThis.tandemTestServices;
  services?.redis?.kill('SIGTERM');
  await services?.postgres?.stop();
  if (services?.postgres && services.dataDir)
    await rm(services.dataDir, { recursive: true, force: true });
  if (!services?.logFile) return;
  const found = await secretsLogged(services.logFile);
  if (found.length) {
    // Kept for whoever looks into it.
    throw new Error(`secrets in the test servers' logs:\n${found.slice(0, 20).join('\n')}`);
  }
  await rm(services.logFile, { force: true });
}
