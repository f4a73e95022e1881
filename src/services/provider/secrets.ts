import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The sealed format's version tag: a future key rotation adds another. */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRETS_KEY_BYTES = 32;

/** SECRETS_KEY: 32 bytes as base64 (`openssl rand -base64 32`) or 64 hex digits; else null. */
export function parseSecretsKey(raw: string): Buffer | null {
  const text = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === SECRETS_KEY_BYTES) return key;
  }
  return null;
}

/**
 * The embedded default's key: read from `dataDir/secrets.key`, or generated there (mode 0600)
 * on the first start. A shared deployment (DATABASE_URL) must set SECRETS_KEY instead, the same
 * on every instance.
 */
export async function loadOrCreateKeyFile(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'secrets.key');
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing !== null) {
    const key = parseSecretsKey(existing);
    if (!key) throw new Error(`${file} does not hold a 32-byte key (base64)`);
    return key;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(SECRETS_KEY_BYTES);
  // 'wx': two processes starting at once cannot both write a key; the loser reads the winner's.
  try {
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKeyFile(dataDir);
    throw error;
  }
  await chmod(file, 0o600);
  return key;
}

/**
 * Secrets at rest: AES-256-GCM under SECRETS_KEY, a fresh IV per seal, and the owner (e.g.
 * `provider:<id>`) as additional data, so a sealed value copied onto another row does not open.
 * Format: `v1.<base64url(iv | tag | ciphertext)>`.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== SECRETS_KEY_BYTES) throw new Error('SECRETS_KEY must be 32 bytes');
  }

  seal(plaintext: string, owner: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Throws when the value was not sealed by this key for this owner (or was altered). */
  open(sealed: string, owner: string): string {
    const [version, payload] = sealed.split('.', 2);
    if (version !== VERSION || !payload) throw new Error('Unknown sealed secret format');
    const raw = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(owner, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }
}
