import type { ErrorRequestHandler } from 'express';
import { type Logger, serializeError } from '../logger';
import type { RequestRecord } from './request-id';

/**
 * Errors raised before GraphQL runs (body over the limit, malformed JSON) answered as GraphQL
 * errors in JSON, with their HTTP status and never a stack trace.
 */
export function requestErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: { status?: number; type?: string }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status =
      typeof error.status === 'number' && error.status >= 400 && error.status < 500
        ? error.status
        : 500;
    if (status === 500) {
      logger.record(
        'error',
        { requestId: res.locals.requestId, err: serializeError(error) },
        'request failed',
      );
    }
    const message =
      error.type === 'entity.too.large'
        ? 'The request body is too large'
        : error.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON'
          : status === 500
            ? 'Internal server error'
            : 'Bad request';
    const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    const record = res.locals.request as RequestRecord | undefined;
    if (record) record.outcome = code;
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}
