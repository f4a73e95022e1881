import { createHmac, timingSafeEqual } from 'node:crypto';

/** Compares two signatures in time that does not depend on where they differ. */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // timingSafeEqual needs equal lengths; a wrong length says nothing about the secret.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Meta's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body bytes. */
export function metaSignature(appSecret: string, rawBody: Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/**
 * Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1 of the full URL followed by every POST
 * parameter, sorted by name (case-sensitive, as Unix sort), name then value with no separator.
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: ReadonlyArray<[string, string]>,
): string {
  const sorted = [...params].sort(([a, av], [b, bv]) =>
    a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
  );
  const data = url + sorted.map(([name, value]) => name + value).join('');
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}
