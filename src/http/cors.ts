import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * Request headers a console sends: the bearer token, JSON, the window it acts for, a request id,
 * and the headers Apollo's CSRF prevention accepts as proof of a preflight.
 */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-client-session',
  'x-request-id',
  'apollo-require-preflight',
  'x-apollo-operation-name',
];

/**
 * Headers that make a browser preflight a request, so that Apollo's CSRF prevention lets it
 * through. `Authorization` is not a header a simple (unpreflighted) request may carry: a request
 * with one was preflighted, and a GET query with a token is as safe as a POST.
 */
export const CSRF_PREFLIGHT_HEADERS = [
  'x-apollo-operation-name',
  'apollo-require-preflight',
  'authorization',
];

/**
 * CORS for `/graphql`: the origins of CORS_ORIGINS get answers (and preflights) with the headers
 * above; any other origin gets no CORS header at all, so its page cannot read an answer. The
 * server's own pages (the playground) are same-origin and need none.
 */
export function corsFor(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
}

/**
 * WebSocket upgrades are not covered by CORS: a page of any origin may open one. An upgrade that
 * carries an `Origin` is accepted only from the server's own origin or one of CORS_ORIGINS;
 * clients that send none (servers, CLIs) are not browsers and are unaffected.
 */
export function webSocketOriginAllowed(
  request: IncomingMessage,
  origins: readonly string[],
): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (origins.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false; // "null" (a sandboxed page, a file) and anything else malformed
  }
}
