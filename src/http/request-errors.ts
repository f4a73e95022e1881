import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger';

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
    if (status === 500) logger.error(`request failed (request ${res.locals.requestId})`, error);
    const message =
      error.type === 'entity.too.large'
        ? 'The request body is too large'
        : error.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON'
          : status === 500
            ? 'Internal server error'
            : 'Bad request';
    const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}
