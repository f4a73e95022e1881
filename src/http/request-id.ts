import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An id a client or a proxy gave may be used as ours only if it is plain and short. */
const ACCEPTABLE = /^[\w.:@/+=-]{1,128}$/;

/** The request's id: the one it carries in X-Request-Id (from a proxy, say), or a new one. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && ACCEPTABLE.test(header) ? header : randomUUID();
}

/**
 * What is known of an HTTP request, filled in as it is handled: its log line and its metrics
 * read it once it is answered (src/http/request-log.ts).
 */
export interface RequestRecord {
  id: string;
  /** performance.now() when it arrived. */
  startedAt: number;
  /** The operation's type and root field, once the document resolved to an operation. */
  type?: string;
  field?: string;
  /** The operation name the client gave (logged, never a metric label: it is unbounded). */
  operationName?: string;
  organization?: string;
  /** The sign-in session, and the window, of the caller. */
  session?: string;
  window?: string;
  /** `OK` or the first error's code, when GraphQL answered. */
  outcome?: string;
}

/**
 * The errors met while answering a request, and its id: `formatError` (which Apollo gives no
 * request) logs and shows it beside an error it masks. Tagged by `requestRecordPlugin` as Apollo
 * reports them (`didEncounterErrors`, just before it formats them). A map rather than an
 * AsyncLocalStorage: on Node 20 one of those puts a promise hook on every promise of the process.
 */
const requestIdsOfErrors = new WeakMap<object, string>();

export function tagErrorsWithRequest(errors: readonly object[], requestId: string): void {
  for (const error of errors) requestIdsOfErrors.set(error, requestId);
}

/** The id of the request an error was met in (undefined when it was not tagged). */
export function requestIdOfError(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? requestIdsOfErrors.get(error) : undefined;
}

/** The record `assignRequestId` made for this request. */
export function requestRecordOf(res: { locals: Record<string, unknown> }): RequestRecord {
  return res.locals.request as RequestRecord;
}

/**
 * Gives every HTTP request an id (answered in X-Request-Id, written beside every error logged
 * for it). First in the chain, so that even a request refused before GraphQL (a body too large)
 * has one.
 */
export function assignRequestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    const record: RequestRecord = { id, startedAt: performance.now() };
    res.locals.requestId = id;
    res.locals.request = record;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
