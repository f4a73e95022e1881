import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type ExecutionArgs,
  getOperationAST,
  GraphQLError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import proxyaddr from 'proxy-addr';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config';
import { inBackground } from '../db/data-source';
import { isDatabaseUnavailable } from '../db/errors';
import type { Auth } from '../context/auth';
import type { Context } from '../context/context';
import { formatError } from '../errors/format-error';
import type { Logger } from '../logger';
import { DocumentCache } from '../schema/document-cache';
import type { QueryLimits } from '../schema/limits';
import type { OperationCosts } from '../schema/operation-cost';
import type { Services } from '../services';
import { CloseCodes, type SessionRegistry } from '../subscriptions/session-registry';
import { SocketSubscriptions } from './socket-limits';
import type { SharedExecution } from '../subscriptions/shared-execution';

type SocketExtra = Record<PropertyKey, unknown> & {
  auth?: Auth;
  clientAddress?: string;
  subscriptions?: SocketSubscriptions;
  /** Each operation's request id (logged beside its errors), by the client's operation id. */
  requestIds?: Map<string, string>;
};

/**
 * The close reason of a hand-over (1001): the console reconnects (through the load balancer, to
 * another instance) with `connectionParams.sessionId` to stay the same window.
 */
export const RECONNECT_HINT = 'Server restarting: reconnect with your sessionId';

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

function asGraphQLError(error: unknown): GraphQLError {
  return error instanceof GraphQLError
    ? error
    : new GraphQLError('Internal server error', { originalError: error as Error });
}

export interface GraphqlWsOptions {
  schema: GraphQLSchema;
  wss: WebSocketServer;
  config: Config;
  services: Services;
  sessions: SessionRegistry;
  logger: Logger;
  limits: QueryLimits;
  validationRules: ValidationRule[];
  costs: OperationCosts;
  shared: SharedExecution;
  buildContext(auth: Auth, clientAddress: string | null): Context;
}

export interface GraphqlWsServer {
  /**
   * A rolling restart's first step: closes every socket with 1001 and a reconnect hint, leaving
   * their windows alive (kept for the lock TTL) for the consoles to resume on another instance;
   * resolves once they are closed, sockets still open at `deadline` (ms since the epoch) cut.
   */
  handOver(deadline: number): Promise<void>;
  /**
   * Closes every socket with 1001 and ends the windows they were in one transaction (their
   * locks' watchers are told at once); resolves once windows closed before are ended too.
   */
  shutDown(): Promise<void>;
}

/**
 * graphql-ws on the HTTP server's port and path. A connection is authenticated once, in
 * `connection_init`, and becomes a window session of its own (its id is in the ack payload).
 */
export function serveGraphqlWs(options: GraphqlWsOptions): GraphqlWsServer {
  const { schema, wss, config, services, sessions, logger, shared, limits, costs } = options;
  const documents = new DocumentCache(schema, limits, options.validationRules);
  /** Made when an operation first has an error to log; forgotten when it ends. */
  const requestIdOf = (extra: SocketExtra, id: string): string => {
    extra.requestIds ??= new Map();
    let requestId = extra.requestIds.get(id);
    if (!requestId) extra.requestIds.set(id, (requestId = randomUUID()));
    return requestId;
  };
  const format = (errors: readonly GraphQLError[], requestId: string) =>
    errors.map((error) =>
      formatError(error.toJSON(), error, logger, {
        requestId,
        hideSuggestions: !limits.introspection,
      }),
    );
  /** Windows being ended after their socket closed. */
  const ending = new Set<Promise<void>>();
  let shuttingDown = false;
  /** The sockets were handed over: their windows are the consoles' to resume, not to end. */
  let handedOver = false;
  /** Authenticates a new socket and opens its window; false when it was refused (and closed). */
  const connectWindow = async (ctx: {
    connectionParams?: Readonly<Record<string, unknown>>;
    extra: { socket: WebSocket; request: IncomingMessage } & SocketExtra;
  }) => {
    ctx.extra.clientAddress = proxyaddr(ctx.extra.request, config.trustProxy);
    const token = tokenFrom(ctx.connectionParams);
    const auth = token ? await services.auth.authenticate(token) : null;
    if (!auth) {
      ctx.extra.socket.close(
        CloseCodes.Unauthorized,
        'Unauthorized: send connectionParams.authorization',
      );
      return false;
    }
    // A window held by a socket of this instance is not taken over by another one.
    const resume = ctx.connectionParams?.sessionId;
    const { resumed, ...window } = await services.clientSessions.openWindow(
      auth,
      typeof resume === 'string' && !sessions.holds(resume) ? resume : undefined,
    );
    ctx.extra.auth = window;
    if (window.clientSessionId && window.staffId) {
      sessions.add(window.clientSessionId, window.signInSessionId, ctx.extra.socket);
    }
    return { sessionId: window.clientSessionId, resumed };
  };
  const server = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      subscribe: (args: ExecutionArgs) => shared.subscribe(args),
      onConnect: async (ctx) => {
        try {
          return await connectWindow(ctx);
        } catch (error) {
          // Never the driver's message (it names internal addresses) as the close reason.
          if (isDatabaseUnavailable(error)) {
            ctx.extra.socket.close(CloseCodes.TryAgainLater, 'Service unavailable: retry shortly');
          } else {
            logger.error('opening a window failed', error);
            ctx.extra.socket.close(CloseCodes.InternalServerError, 'Internal server error');
          }
          return false;
        }
      },
      onClose: async (ctx) => {
        const window = ctx.extra.auth;
        if (!window?.staffId || !window.clientSessionId) return;
        sessions.remove(window.clientSessionId);
        if (shuttingDown) return; // ended with all the others by shutDown
        // Not any request's work: left out of request statement counts, like other background jobs.
        const ended = inBackground(() =>
          services.clientSessions.closeWindow(window, 'window closed'),
        )
          .catch((error: unknown) => logger.error('closing a window session failed', error))
          .finally(() => ending.delete(ended));
        ending.add(ended);
        await ended;
      },
      onSubscribe: (ctx, id, payload) => {
        // A refusal is this operation's error message; the socket and its other operations stay.
        try {
          const checked = documents.check(payload.query);
          if (checked.errors) return checked.errors;
          const { document } = checked;
          const variables = payload.variables ?? undefined;
          costs.requireWithinCost(document, payload.operationName, variables);
          if (getOperationAST(document, payload.operationName)?.operation === 'subscription') {
            const admission = (ctx.extra.subscriptions ??= new SocketSubscriptions(config)).admit(
              id,
              (held) => held in ctx.subscriptions,
            );
            if (!admission.admitted) {
              if (admission.abusive) {
                ctx.extra.socket.close(
                  CloseCodes.PolicyViolation,
                  'Too many refused subscriptions',
                );
              }
              return [admission.error];
            }
          }
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: variables,
            contextValue: options.buildContext(
              ctx.extra.auth as Auth,
              ctx.extra.clientAddress ?? null,
            ),
          };
        } catch (error) {
          return [asGraphQLError(error)];
        }
      },
      onNext: (ctx, id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: format(result.errors, requestIdOf(ctx.extra, id)) }
          : undefined,
      // An error message ends the operation: its id is not kept (onComplete does not follow).
      onError: (ctx, id, _payload, errors) => {
        const formatted = format(errors, requestIdOf(ctx.extra, id));
        ctx.extra.requestIds?.delete(id);
        return formatted;
      },
      onComplete: (ctx, id) => {
        ctx.extra.requestIds?.delete(id);
      },
    },
    wss,
    12_000,
  );

  return {
    async handOver(deadline) {
      shuttingDown = true; // their windows stay: onClose ends none
      handedOver = true;
      const closed = [...wss.clients].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === socket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.close(CloseCodes.GoingAway, RECONNECT_HINT);
          }),
      );
      const timer = setTimeout(
        () => {
          for (const socket of wss.clients) socket.terminate();
        },
        Math.max(0, deadline - Date.now()),
      );
      await Promise.all(closed);
      clearTimeout(timer);
    },
    async shutDown() {
      shuttingDown = true;
      // graphql-ws reports a closed socket (onClose) only after its subscriptions ended, so the
      // registry may still list windows that were handed over.
      const windows = handedOver ? [] : sessions.windowIds();
      for (const socket of wss.clients) socket.close(CloseCodes.GoingAway, 'Server shutting down');
      await server.dispose();
      await Promise.all(ending);
      await inBackground(() =>
        services.clientSessions.closeWindows(windows, 'the server shut down'),
      ).catch((error: unknown) => logger.error('ending the windows failed', error));
    },
  };
}
