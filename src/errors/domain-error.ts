/**
 * The codes a client can cause (DESIGN §4). They are the `extensions.code` of a GraphQL error;
 * anything else a client sees is INTERNAL_SERVER_ERROR with no details.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  CONFLICT = 'CONFLICT',
  CAPACITY_REACHED = 'CAPACITY_REACHED',
  LOCKED = 'LOCKED',
  LOCK_LOST = 'LOCK_LOST',
  RATE_LIMITED = 'RATE_LIMITED',
  /** A free-form reply outside the messaging channel's customer-service window: send a template. */
  REPLY_WINDOW_CLOSED = 'REPLY_WINDOW_CLOSED',
  /** The database cannot be reached right now: retry shortly (HTTP 503). */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
}

/** A rule said no. Services throw these; one formatter turns them into GraphQL errors. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, client-safe facts placed in `extensions` beside the code. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Sign in first: send a valid bearer token') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'Your role does not allow this') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

/** Missing and "belongs to another organization" look alike on purpose. */
export class NotFoundError extends DomainError {
  constructor(entity: string, id?: string) {
    super(ErrorCode.NOT_FOUND, `${entity} not found`, id === undefined ? {} : { id });
  }
}

export class BadInputError extends DomainError {
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.BAD_USER_INPUT, message, { ...details, field });
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.CONFLICT, message, details);
  }
}

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(ErrorCode.RATE_LIMITED, `Too many attempts: try again in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
    });
  }
}

/** WhatsApp's 24-hour window is closed: only an approved template may be sent (issue 16 item 7). */
export class ReplyWindowClosedError extends DomainError {
  constructor(closedAt: Date | null) {
    super(
      ErrorCode.REPLY_WINDOW_CLOSED,
      closedAt
        ? "The customer's 24-hour window closed: only a template may be sent now"
        : 'The customer has not written yet: only a template may be sent',
      { replyWindowClosedAt: closedAt?.toISOString() ?? null },
    );
  }
}
