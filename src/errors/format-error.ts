import { type GraphQLFormattedError, GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { DomainError, ErrorCode } from './domain-error';
import type { Logger } from '../logger';

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
  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    if (typeof code === 'string' && (REQUEST_LEVEL_CODES.has(code) || DOMAIN_CODES.has(code))) {
      // `http` is Apollo's instruction for the status line, not something to show the client.
      const { http: _http, ...extensions } = original.extensions;
      return { ...base, extensions: { ...extensions, code } };
    }
  }
  logger.error('unexpected error', original);
  return {
    ...base,
    message: 'Internal server error',
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
