import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';

/** Bearer tokens of sign-in sessions. */
export const TOKEN_PREFIX = 'tdm_';
/** Partner API keys. */
export const API_KEY_PREFIX = 'tdk_';

export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** High-entropy secrets are stored as their sha256: a lookup key that reveals nothing. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return argon2.verify(hash, password).catch(() => false);
}

/** A hash to verify against when the email is unknown, so both cases take the same time. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}

export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}
