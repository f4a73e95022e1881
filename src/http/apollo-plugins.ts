import type { ApolloServerPlugin } from '@apollo/server';
import Negotiator from 'negotiator';
import type { Context } from '../context/context';
import { ErrorCode } from '../errors/domain-error';
import { isDatabaseUnavailable } from '../db/errors';
import { RETRY_AFTER_SECONDS, serviceUnavailableError } from '../errors/service-unavailable';
import type { AuthService } from '../services/auth/auth.service';
import type { OperationCosts } from '../schema/operation-cost';
import { requireCallerFor } from '../schema/operation-guard';

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

/**
 * After validation (where the document's shape limits are graphql-armor's rules), before
 * execution, in this order: page sizes and cost, which need no database; then the caller is
 * looked up (a refused document costs no query); then the deny-by-default check.
 */
export function operationLimitsPlugin(
  costs: OperationCosts,
  auth: AuthService,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({
          contextValue,
          operation,
          document,
          operationName,
          request,
          schema,
        }) {
          if (!operation) return;
          costs.requireWithinCost(document, operationName, request.variables);
          const headers = request.http?.headers;
          const token = bearerToken(headers?.get('authorization'));
          const window = headers?.get('x-client-session');
          try {
            contextValue.auth = token ? await auth.authenticate(token, window) : null;
          } catch (error) {
            // The database is away: a 503 the client may retry, not a failure of ours.
            if (isDatabaseUnavailable(error)) throw serviceUnavailableError();
            throw error;
          }
          if (contextValue.auth) return;
          // No caller: only @Public() root fields may run (the fragments are read for those).
          const fragments = Object.fromEntries(
            document.definitions.flatMap((d) =>
              d.kind === 'FragmentDefinition' ? [[d.name.value, d]] : [],
            ),
          );
          requireCallerFor(schema, operation, fragments, null);
        },
      };
    },
  };
}

/**
 * Accept headers already negotiated: a client sends the same one on every request, and parsing
 * it is a few microseconds of every request. Bounded, since the header is the client's to choose.
 */
const negotiated = new Map<string, boolean>();
const NEGOTIATED_MAX = 100;

/**
 * The media type Apollo will answer with: the same negotiation (the `negotiator` package) that
 * Apollo runs after the plugins, where a missing Accept header means JSON.
 */
function answersGraphqlResponseJson(accept: string | undefined): boolean {
  if (!accept) return false;
  let answer = negotiated.get(accept);
  if (answer === undefined) {
    const preferred = new Negotiator({ headers: { accept } }).mediaType([
      'application/json',
      'application/graphql-response+json',
    ]);
    answer = preferred === 'application/graphql-response+json';
    if (negotiated.size >= NEGOTIATED_MAX) negotiated.clear();
    negotiated.set(accept, answer);
  }
  return answer;
}

/**
 * GraphQL over HTTP: a well-formed request (it has a query) refused at parse, validation or
 * variable coercion is answered 200 when the response is `application/json` (the errors are in
 * the body); `application/graphql-response+json` responses keep the 400. A malformed request
 * (no query, a query that is not a string) keeps its 400 either way.
 */
export function jsonStatusPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      if (answersGraphqlResponseJson(request.http?.headers.get('accept'))) return {};
      let wellFormed = false;
      return {
        async didResolveSource() {
          wellFormed = true;
        },
        async willSendResponse({ response }) {
          if (wellFormed && response.http.status === 400 && response.body.kind === 'single') {
            response.http.status = 200;
          }
        },
      };
    },
  };
}

/**
 * A request that failed because the database is unreachable (an error formatted as
 * SERVICE_UNAVAILABLE) is answered 503 with `Retry-After`: a client or balancer retries it.
 */
export function serviceUnavailablePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const unavailable = response.body.singleResult.errors?.some(
            (error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE,
          );
          if (!unavailable) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}
