import { type GraphQLFormattedError, GraphQLError, Kind } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { DomainError, ErrorCode } from './domain-error';
import { type Logger, serializeError } from '../logger';
import { isDatabaseUnavailable } from '../db/errors';
import { SERVICE_UNAVAILABLE_MESSAGE, serviceUnavailableExtensions } from './service-unavailable';
import { asTokenLimitError, withoutSuggestions } from '../schema/limits';

interface FieldProblem {
  field: string;
  message: string;
}

function flattenValidation(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidation(error.children ?? [], field)];
  });
}

/** Codes that graphql-js and Apollo attach themselves to requests they refuse before execution. */
const REQUEST_LEVEL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

const DOMAIN_CODES = new Set<string>(Object.values(ErrorCode));

/** Postgres refuses text it cannot store (a NUL character): a client's mistake, not ours. */
function isUnstorableText(error: unknown): boolean {
  const code = (error as { driverError?: { code?: string } } | null | undefined)?.driverError?.code;
  return code === '22021' || code === '22P05';
}

/**
 * The input field a variable coercion error is about, as a validation error would name it:
 * `role` for `Variable "$input" got invalid value "BOSS" at "input.role"; ...`, `name` for
 * `...; Field "name" of required type "String!" was not provided.`, or the variable itself.
 */
function coercionField(message: string, cause: unknown): string | undefined {
  const variable = /^Variable "\$(\w+)"/.exec(message)?.[1];
  if (!variable) return undefined;
  // graphql-js writes `<prefix>; <the cause's message>`; the prefix ends with the path, if any.
  const causeMessage =
    cause instanceof Error && message.endsWith(`; ${cause.message}`) ? cause.message : '';
  const prefix = message.slice(0, message.length - (causeMessage ? causeMessage.length + 2 : 0));
  const at = / at "([^"]*)"$/.exec(prefix)?.[1];
  const path =
    at
      ?.split('.')
      .slice(1)
      .join('.')
      .replace(/\[\d+\]/g, '') ?? '';
  const inner = /^Field "([^"]+)" (?:of required type|is not defined by type)/.exec(
    causeMessage,
  )?.[1];
  return [path, inner].filter(Boolean).join('.') || variable;
}

/** graphql-js's words when more than 50 variable values are invalid (it stops counting there). */
const TOO_MANY_VARIABLE_ERRORS = /^Too many errors processing variables/;

export interface FormatOptions {
  /** The request (or socket operation) the error belongs to: logged, and shown when masked. */
  requestId?: string;
  /** Introspection is off: "Did you mean ...?" would tell the schema's field names. */
  hideSuggestions?: boolean;
}

/**
 * The one place where errors become what a client sees: domain errors keep their code and
 * details, validation errors name the field, and anything unexpected is logged (with the request
 * id) and masked. It never throws, whatever it is given: a formatter that throws loses the error
 * and its log line.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  options: FormatOptions = {},
): GraphQLFormattedError {
  let shown: GraphQLFormattedError | undefined;
  try {
    shown = clientErrorOf(formatted, error);
  } catch (failure) {
    logSafely(logger, 'formatting an error failed', options.requestId, failure);
  }
  if (!shown) {
    logSafely(logger, 'unexpected error', options.requestId, error);
    return {
      message: 'Internal server error',
      ...pathOf(formatted),
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        ...(options.requestId ? { requestId: options.requestId } : {}),
      },
    };
  }
  return options.hideSuggestions ? { ...shown, message: withoutSuggestions(shown.message) } : shown;
}

/** Where in the result the error is, if that can be read at all. */
function pathOf(formatted: GraphQLFormattedError): Pick<GraphQLFormattedError, 'path'> {
  try {
    return Array.isArray(formatted?.path) ? { path: formatted.path } : {};
  } catch {
    return {};
  }
}

function logSafely(logger: Logger, what: string, requestId: string | undefined, error: unknown) {
  try {
    logger.record('error', { requestId, err: serializeError(error) }, what);
  } catch {
    // Nothing left to tell it with.
  }
}

/** What the client may see of an error it caused; undefined for an error of ours (masked). */
function clientErrorOf(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError | undefined {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) {
    return {
      ...base,
      message: original.message,
      extensions: { ...original.details, code: original.code },
    };
  }
  if (original instanceof ArgumentValidationError) {
    const problems = flattenValidation(original.extensions.validationErrors);
    const first = problems[0];
    return {
      ...base,
      message: first ? `Invalid ${first.field}: ${first.message}` : 'Invalid input',
      extensions: { code: ErrorCode.BAD_USER_INPUT, field: first?.field, problems },
    };
  }
  // graphql-js's parser stops at the token limit with a syntax error: it is the limit's refusal.
  const tokenLimit = asTokenLimitError(original);
  if (tokenLimit) {
    const { http: _http, ...extensions } = tokenLimit.extensions;
    return { ...base, message: tokenLimit.message, extensions };
  }
  // Apollo wraps the errors it refuses a request with (parse, validation, variable coercion)
  // around graphql-js's own, which has no code: the wrapper's code is the one to keep.
  for (const candidate of [original, error]) {
    if (!(candidate instanceof GraphQLError)) continue;
    const code = candidate.extensions?.code;
    if (typeof code === 'string' && (REQUEST_LEVEL_CODES.has(code) || DOMAIN_CODES.has(code))) {
      // `http` is Apollo's instruction for the status line, not something to show the client.
      const { http: _http, ...extensions } = candidate.extensions;
      const field =
        code === ErrorCode.BAD_USER_INPUT && extensions.field === undefined
          ? coercionField(candidate.message, original)
          : undefined;
      return { ...base, extensions: { ...extensions, ...(field ? { field } : {}), code } };
    }
  }
  // Not a failure of ours to log at length: the database is away, and the client may retry.
  if (isDatabaseUnavailable(original)) {
    return {
      ...base,
      message: SERVICE_UNAVAILABLE_MESSAGE,
      extensions: serviceUnavailableExtensions,
    };
  }
  for (const candidate of [original, error]) {
    if (!(candidate instanceof GraphQLError)) continue;
    // A variable's value that does not coerce, as graphql-js reports it (over WebSocket, where
    // no Apollo gives it a code): the client's, about the variable it names.
    if (candidate.nodes?.length === 1 && candidate.nodes[0]?.kind === Kind.VARIABLE_DEFINITION) {
      const field = coercionField(candidate.message, candidate.originalError);
      return {
        ...base,
        extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) },
      };
    }
    if (TOO_MANY_VARIABLE_ERRORS.test(candidate.message)) {
      return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    // Apollo refuses some requests itself with a 4xx and no code (a persisted query whose hash
    // does not match its text, an unknown persisted-query version): the request was wrong.
    const status = (candidate.extensions?.http as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { ...base, extensions: { code: 'BAD_REQUEST' } };
    }
  }
  if (isUnstorableText(original)) {
    return {
      ...base,
      message: 'Text may not contain NUL characters or lone surrogates',
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    };
  }
  return undefined;
}
