import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An id a client or a proxy gave may be used as ours only if it is plain and short. */
const ACCEPTABLE = /^[\w.:@/+=-]{1,128}$/;

/** The request's id: the one it carries in X-Request-Id (from a proxy, say), or a new one. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && ACCEPTABLE.test(header) ? header : randomUUID();
}

const scope = new AsyncLocalStorage<string>();

/** The id of the HTTP request being answered, wherever in its handling this runs. */
export function currentRequestId(): string | undefined {
  return scope.getStore();
}

/**
 * Gives every HTTP request an id (answered in X-Request-Id, written beside every error logged
 * for it). First in the chain, so that even a request refused before GraphQL (a body too large)
 * has one.
 */
export function assignRequestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

/**
 * Runs the rest of the request inside its id's scope. After the body is read: a stream's events
 * run in the socket's context, not the one a handler set, so a scope entered before body parsing
 * would be lost by the time GraphQL runs.
 */
export function withinRequestScope(): RequestHandler {
  return (_req, res, next) => {
    scope.run(String(res.locals.requestId ?? randomUUID()), next);
  };
}
