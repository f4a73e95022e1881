import { type GraphQLFormattedError, GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { DomainError, ErrorCode } from './domain-error';
import type { Logger } from '../logger';
import { isDatabaseUnavailable } from '../db/errors';
import { SERVICE_UNAVAILABLE_MESSAGE, serviceUnavailableExtensions } from './service-unavailable';

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
  const code = (error as { driverError?: { code?: string } }).driverError?.code;
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

/**
 * The one place where errors become what a client sees: domain errors keep their code and
 * details, validation errors name the field, and anything unexpected is logged and masked.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
): GraphQLFormattedError {
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
  if (isUnstorableText(original)) {
    return {
      ...base,
      message: 'Text may not contain NUL characters',
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    };
  }
  logger.error('unexpected error', original);
  return {
    ...base,
    message: 'Internal server error',
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
