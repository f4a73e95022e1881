import type { ApolloServerPlugin } from '@apollo/server';
import Negotiator from 'negotiator';
import type { Config } from '../config';
import type { Context } from '../context/context';
import { ErrorCode } from '../errors/domain-error';
import { RETRY_AFTER_SECONDS } from '../errors/service-unavailable';
import { requireWithinCost } from '../schema/limits';
import { requireCallerFor } from '../schema/operation-guard';

/**
 * Before execution: the deny-by-default check and the cost limit (the depth limit is a
 * validation rule).
 */
export function operationLimitsPlugin(config: Config): ApolloServerPlugin<Context> {
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
          const fragments = Object.fromEntries(
            document.definitions.flatMap((d) =>
              d.kind === 'FragmentDefinition' ? [[d.name.value, d]] : [],
            ),
          );
          if (!operation) return;
          requireCallerFor(schema, operation, fragments, contextValue.auth);
          requireWithinCost(
            schema,
            document,
            operationName ?? undefined,
            request.variables,
            config.maxQueryCost,
          );
        },
      };
    },
  };
}

/**
 * The media type Apollo will answer with: the same negotiation (the `negotiator` package) that
 * Apollo runs after the plugins, where a missing Accept header means JSON.
 */
function answersGraphqlResponseJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const preferred = new Negotiator({ headers: { accept } }).mediaType([
    'application/json',
    'application/graphql-response+json',
  ]);
  return preferred === 'application/graphql-response+json';
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
