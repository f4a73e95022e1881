import {
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  parse,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';
import type { Config } from '../config';
import { inBackground } from '../db/data-source';
import type { Auth } from '../context/auth';
import type { Context } from '../context/context';
import { formatError } from '../errors/format-error';
import type { Logger } from '../logger';
import { coerceVariables, requireWithinCost } from '../schema/limits';
import type { Services } from '../services';
import { CloseCodes, type SessionRegistry } from '../subscriptions/session-registry';
import type { SharedExecution } from '../subscriptions/shared-execution';

type SocketExtra = Record<PropertyKey, unknown> & { auth?: Auth };

/** The bearer token from `connectionParams`, however a client spelled it. */
export function tokenFrom(
  params: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  const headers = (params?.headers ?? {}) as Record<string, unknown>;
  const raw = [
    params?.authorization,
    params?.Authorization,
    params?.token,
    headers.authorization,
    headers.Authorization,
  ].find((value): value is string => typeof value === 'string' && value.length > 0);
  return raw?.replace(/^Bearer\s+/i, '');
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, code },
  });
}

export interface GraphqlWsOptions {
  schema: GraphQLSchema;
  wss: WebSocketServer;
  config: Config;
  services: Services;
  sessions: SessionRegistry;
  logger: Logger;
  validationRules: ValidationRule[];
  shared: SharedExecution;
  buildContext(auth: Auth): Context;
}

/**
 * graphql-ws on the HTTP server's port and path. A connection is authenticated once, in
 * `connection_init`, and becomes a window session of its own (its id is in the ack payload).
 */
export function serveGraphqlWs(options: GraphqlWsOptions) {
  const { schema, wss, config, services, sessions, logger, shared } = options;
  const rules = [...specifiedRules, ...options.validationRules];
  return useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      subscribe: (args: ExecutionArgs) => shared.subscribe(args),
      onConnect: async (ctx) => {
        const token = tokenFrom(ctx.connectionParams);
        const auth = token ? await services.auth.authenticate(token) : null;
        if (!auth) {
          await ctx.extra.socket.close(
            CloseCodes.Unauthorized,
            'Unauthorized: send connectionParams.authorization',
          );
          return false;
        }
        const window = await services.clientSessions.openWindow(auth);
        ctx.extra.auth = window;
        if (window.clientSessionId && window.staffId) {
          sessions.add(window.clientSessionId, window.signInSessionId, ctx.extra.socket);
        }
        return { sessionId: window.clientSessionId };
      },
      onClose: async (ctx) => {
        const window = ctx.extra.auth;
        if (!window?.staffId || !window.clientSessionId) return;
        sessions.remove(window.clientSessionId);
        // Not any request's work: left out of request statement counts, like other background jobs.
        await inBackground(() =>
          services.clientSessions.closeWindow(window, 'window closed'),
        ).catch((error: unknown) => logger.error('closing a window session failed', error));
      },
      onSubscribe: (ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length)
          return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        const variables = payload.variables ?? undefined;
        const coercion = coerceVariables(
          schema,
          document,
          payload.operationName ?? undefined,
          variables,
        );
        if (coercion.errors) return coercion.errors;
        try {
          requireWithinCost(
            schema,
            document,
            payload.operationName ?? undefined,
            variables,
            config.maxQueryCost,
          );
        } catch (error) {
          return [error as GraphQLError];
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: variables,
          contextValue: options.buildContext(ctx.extra.auth as Auth),
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? {
              ...result,
              errors: result.errors.map((error) => formatError(error.toJSON(), error, logger)),
            }
          : undefined,
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => formatError(error.toJSON(), error, logger)),
    },
    wss,
    12_000,
  );
}
