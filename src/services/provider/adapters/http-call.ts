import type { SendFailure } from './provider-adapter';

/** A provider that has not answered in this long is tried again later. */
const SEND_TIMEOUT_MS = 15_000;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The JSON body, or null when there was none or it was not JSON. */
  json: unknown;
}

/**
 * One request to a provider's API. A network failure or a timeout is a RETRY failure, never an
 * exception: the outbox reads every outcome the same way.
 */
export async function callProvider(
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
): Promise<HttpAnswer | SendFailure> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
    return { failureClass: 'RETRY', code: 'NETWORK', reason, httpStatus: null };
  }
  const text = await response.text().catch(() => '');
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, json };
}

export function isFailure(answer: HttpAnswer | SendFailure): answer is SendFailure {
  return 'failureClass' in answer;
}

/** `Retry-After` in seconds or as a date, in milliseconds from now. */
export function retryAfterMsOf(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A header's single value (node joins repeated headers, or gives arrays for some). */
export function headerOf(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
