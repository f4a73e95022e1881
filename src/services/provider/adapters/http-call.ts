import http from 'node:http';
import https from 'node:https';
import type { SendFailure } from './provider-adapter';

/** A provider that has not answered in this long is tried again later. */
const SEND_TIMEOUT_MS = 15_000;

/** A response's headers, read by name (case-insensitive). */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface HttpAnswer {
  status: number;
  headers: HeaderReader;
  /** The JSON body, or null when there was none or it was not JSON. */
  json: unknown;
}

/**
 * Kept-alive connections to the providers' APIs (and the stubs'), per scheme. `node:http` rather
 * than `fetch`: per send, fetch built a Request, an AbortSignal (transferable) for the timeout,
 * a web stream for the body and a clone of both (it may follow a redirect), about a third of this
 * process's CPU per send in the outbox bench; none of it is needed for one JSON POST.
 */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
} as const;

/**
 * One request to a provider's API. A network failure or a timeout is a RETRY failure, never an
 * exception: the outbox reads every outcome the same way. A redirect is not followed (the
 * providers' APIs answer where they are asked): its status is the answer.
 */
export function callProvider(
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
): Promise<HttpAnswer | SendFailure> {
  return new Promise((resolve) => {
    const network = (reason: string): SendFailure => ({
      failureClass: 'RETRY',
      code: 'NETWORK',
      reason,
      httpStatus: null,
    });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve(network(`invalid URL ${url}`));
      return;
    }
    const scheme = target.protocol;
    if (scheme !== 'http:' && scheme !== 'https:') {
      resolve(network(`unsupported protocol ${scheme}`));
      return;
    }
    const body = Buffer.from(init.body, 'utf8');
    let settled = false;
    let request: http.ClientRequest | undefined;
    const timer = setTimeout(() => {
      settle(network('timed out'));
      request?.destroy();
    }, SEND_TIMEOUT_MS);
    const settle = (answer: HttpAnswer | SendFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    try {
      request = (scheme === 'https:' ? https : http).request(
        target,
        {
          method: init.method,
          headers: { ...init.headers, 'content-length': String(body.length) },
          agent: AGENTS[scheme],
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) => settle(network(error.message)));
          response.on('close', () => {
            if (!response.complete) settle(network('the connection closed before the answer'));
          });
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = null;
            try {
              json = text ? JSON.parse(text) : null;
            } catch {
              json = null;
            }
            const headers = response.headers;
            settle({
              status: response.statusCode ?? 0,
              headers: { get: (name) => headerOf(headers, name.toLowerCase()) ?? null },
              json,
            });
          });
        },
      );
    } catch (error) {
      // A header Node refuses (a token with a newline in it): nothing was sent.
      settle(network((error as Error).message));
      return;
    }
    request.on('error', (error) => settle(network(error.message)));
    request.end(body);
  });
}

export function isFailure(answer: HttpAnswer | SendFailure): answer is SendFailure {
  return 'failureClass' in answer;
}

/** `Retry-After` in seconds or as a date, in milliseconds from now. */
export function retryAfterMsOf(headers: HeaderReader): number | undefined {
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
