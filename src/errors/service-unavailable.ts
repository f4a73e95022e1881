import { GraphQLError } from 'graphql';
import { ErrorCode } from './domain-error';

export const SERVICE_UNAVAILABLE_MESSAGE =
  'The service cannot reach its database right now: retry shortly';

/** What a client is told to wait before retrying (HTTP `Retry-After` and the error's extension). */
export const RETRY_AFTER_SECONDS = 1;

/** The extensions of a SERVICE_UNAVAILABLE error as the client sees them. */
export const serviceUnavailableExtensions = {
  code: ErrorCode.SERVICE_UNAVAILABLE,
  retryAfterSeconds: RETRY_AFTER_SECONDS,
} as const;

/**
 * A request refused before it ran because the database is unreachable: answered with HTTP 503
 * (Apollo reads `extensions.http` when the context cannot be built).
 */
export function serviceUnavailableError(): GraphQLError {
  return new GraphQLError(SERVICE_UNAVAILABLE_MESSAGE, {
    extensions: {
      ...serviceUnavailableExtensions,
      http: { status: 503 },
    },
  });
}
