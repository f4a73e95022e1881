/** True when `error` is Postgres' unique violation (23505), optionally on a named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError =
    (error as { driverError?: { code?: string; constraint?: string } }).driverError ?? error;
  const { code, constraint: name } = driverError as { code?: string; constraint?: string };
  return code === '23505' && (constraint === undefined || name === constraint);
}

/** Node's codes for a connection that could not be made or was lost (and a socket opening abandoned). */
const NETWORK_CODES = new Set([
  // A socket opening whose socket closed while it queued for the database (db/opening-lane.ts).
  'OPENING_ABANDONED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Postgres' SQLSTATEs for "not now": connection exceptions (class 08), the server shutting down
 * or starting (57P01-57P03), too many connections (53300).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);
}

/** What node-postgres says when a connection breaks, or none can be had in time. */
const DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly)/;

/**
 * True when `error` says the database cannot be reached right now (rather than that a statement
 * was wrong): the request may be retried once it is back. Looks through TypeORM's and GraphQL's
 * wrappers.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || isUnavailableState(code))) {
      return true;
    }
    if (typeof message === 'string' && DRIVER_MESSAGES.test(message)) return true;
    const wrapper = current as { driverError?: unknown; originalError?: unknown; cause?: unknown };
    current = wrapper.driverError ?? wrapper.originalError ?? wrapper.cause;
  }
  return false;
}
