import type { ApolloServerPlugin } from '@apollo/server';
import type { Config } from '../config';
import type { Context } from '../context/context';
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
          if (operation) requireCallerFor(schema, operation, fragments, contextValue.auth);
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

const ACCEPTS_GRAPHQL_RESPONSE = 'application/graphql-response+json';

/**
 * GraphQL over HTTP: a client that accepts only `application/json` should get 200 for a request
 * refused at parse, validation or variable coercion (the errors are in the body); clients of
 * `application/graphql-response+json` keep the 400.
 */
export function jsonStatusPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const accept = request.http?.headers.get('accept') ?? '';
      if (accept.includes(ACCEPTS_GRAPHQL_RESPONSE)) return {};
      return {
        async willSendResponse({ response }) {
          if (
            response.http.status === 400 &&
            response.body.kind === 'single' &&
            response.body.singleResult.errors
          ) {
            response.http.status = 200;
          }
        },
      };
    },
  };
}
