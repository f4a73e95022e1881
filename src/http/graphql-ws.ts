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
import { OpeningAbandonedError, type OpeningLane } from '../db/opening-lane';
import type { Auth } from '../context/auth';
import type { Context } from '../context/context';
import { formatError } from '../errors/format-error';
import { type Logger, serializeError } from '../logger';
import type { Metrics } from '../metrics/metrics';
import { DocumentCache } from '../schema/document-cache';
import type { QueryLimits } from '../schema/limits';
import type { OperationCosts } from '../schema/operation-cost';
import type { Services } from '../services';
import type { HeldRole } from '../services/session/stream-access.service';
import { CloseCodes, type SessionRegistry } from '../subscriptions/session-registry';
import { SocketSubscriptions } from './socket-limits';
import { callerFields, outcomeOf, rootFieldOf } from './request-log';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import type { SharedExecution } from '../subscriptions/shared-execution';

/** A socket operation under way, from its subscribe message to its end. */
interface SocketOperation {
  startedAt: number;
  type: string;
  field: string;
  operationName?: string;
  /** Its request id (logged beside its errors and on its line), made when first needed. */
  requestId?: string;
  /** The first error's code once one was sent. */
  outcome?: string;
  /** Counted and logged already (a subscription, once it started). */
  recorded?: boolean;
  /** A subscription that started and has not ended. */
  open?: boolean;
}

type SocketExtra = Record<PropertyKey, unknown> & {
  auth?: Auth;
  /** When the socket's role was last read (it follows updateStaff without a reconnect). */
  heldRole?: HeldRole;
  clientAddress?: string;
  subscriptions?: SocketSubscriptions;
  /** The connection's own request id (X-Request-Id of its upgrade, or a new one), and when. */
  socketRequestId?: string;
  connectedAt?: number;
  /** Operations under way, by the client's operation id. */
  operations?: Map<string, SocketOperation>;
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
  metrics: Metrics;
  limits: QueryLimits;
  validationRules: ValidationRule[];
  costs: OperationCosts;
  shared: SharedExecution;
  /** Where socket openings queue for the database (a share of the pool). */
  openings: OpeningLane;
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
  const {
    schema,
    wss,
    config,
    services,
    sessions,
    logger,
    metrics,
    shared,
    limits,
    costs,
    openings,
  } = options;
  const documents = new DocumentCache(schema, limits, options.validationRules);
  /** Made when an operation first has an error or a line to log; forgotten when it ends. */
  const requestIdOf = (extra: SocketExtra, id: string): string => {
    const operation = extra.operations?.get(id);
    return operation ? (operation.requestId ??= randomUUID()) : randomUUID();
  };
  const operationOf = (extra: SocketExtra, id: string): SocketOperation => {
    extra.operations ??= new Map();
    let operation = extra.operations.get(id);
    if (!operation) {
      operation = { startedAt: performance.now(), type: '-', field: '-' };
      extra.operations.set(id, operation);
    }
    return operation;
  };
  /** Counts the operation and writes its one line (a subscription's once it started). */
  const record = (extra: SocketExtra, id: string, operation: SocketOperation, outcome: string) => {
    operation.recorded = true;
    const seconds = (performance.now() - operation.startedAt) / 1000;
    metrics.recordRequest({
      transport: 'ws',
      type: operation.type,
      operation: operation.field,
      outcome,
      seconds,
    });
    if (!logger.enabled('info')) return;
    logger.record(
      'info',
      {
        requestId: requestIdOf(extra, id),
        socket: extra.socketRequestId,
        type: operation.type,
        operation: operation.field,
        operationName: operation.operationName,
        outcome,
        durationMs: Math.round(seconds * 10_000) / 10,
        ...callerFields(extra.auth),
      },
      'socket operation',
    );
  };
  /** The operation ended (completed, failed, or refused): counted if it was not yet. */
  const finish = (extra: SocketExtra, id: string, outcome: string | undefined) => {
    const operation = extra.operations?.get(id);
    if (!operation) return;
    extra.operations?.delete(id);
    if (operation.open) metrics.subscriptionClosed();
    if (!operation.recorded) record(extra, id, operation, outcome ?? operation.outcome ?? 'OK');
  };
  /** One line per socket lifecycle event: connected, refused, closed. */
  const socketLine = (
    extra: SocketExtra,
    message: string,
    fields: Record<string, unknown> = {},
  ): void => {
    if (!logger.enabled('info')) return;
    logger.record(
      'info',
      {
        requestId: extra.socketRequestId,
        address: extra.clientAddress,
        ...callerFields(extra.auth),
        ...fields,
      },
      message,
    );
  };
  const refuse = (
    extra: SocketExtra & { socket: WebSocket },
    outcome: string,
    code: number,
    reason: string,
  ) => {
    metrics.socketConnection(outcome);
    socketLine(extra, 'socket refused', { outcome, code });
    extra.socket.close(code, reason);
  };
  const format = (errors: readonly GraphQLError[], requestId: string) =>
    errors.map((error) =>
      formatError(error.toJSON(), error, logger, {
        requestId,
        hideSuggestions: !limits.introspection,
      }),
    );
  /** The socket an operation's context belongs to (its opening is skipped once it closed). */
  const socketOf = new WeakMap<object, WebSocket>();
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
    // A window held by a socket of this instance is not taken over by another one.
    const resume = ctx.connectionParams?.sessionId;
    const window = token
      ? await services.clientSessions.openSocket(
          token,
          typeof resume === 'string' && !sessions.holds(resume) ? resume : undefined,
        )
      : null;
    if (!window) {
      // A reason a client library can show as is (close reasons are at most 123 bytes).
      refuse(
        ctx.extra,
        'unauthorized',
        CloseCodes.Unauthorized,
        token
          ? 'Unauthorized: the token is not valid (expired, signed out or revoked): sign in again'
          : 'Unauthorized: no token: send connectionParams { authorization: "Bearer <token>" }',
      );
      return false;
    }
    const { resumed, ...auth } = window;
    ctx.extra.auth = auth;
    // A notice between the read and now is caught by the 5 s bound.
    ctx.extra.heldRole = services.streamAccess.holdRole(auth.staffId);
    if (auth.clientSessionId && auth.staffId) {
      sessions.add(auth.clientSessionId, auth.signInSessionId, ctx.extra.socket);
    }
    metrics.socketConnection('accepted');
    socketLine(ctx.extra, 'socket connected');
    return { sessionId: auth.clientSessionId, resumed };
  };
  const server = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      // A subscription's first reads (its access check, snapshot or position) queue with the
      // openings, before new consoles' authentications.
      subscribe: (args: ExecutionArgs) => {
        const socket = socketOf.get(args.contextValue as object);
        return openings.run(
          'subscribe',
          () => socket !== undefined && socket.readyState !== socket.OPEN,
          () => shared.subscribe(args),
        );
      },
      onConnect: async (ctx) => {
        ctx.extra.connectedAt = performance.now();
        ctx.extra.socketRequestId = requestIdFrom(ctx.extra.request.headers[REQUEST_ID_HEADER]);
        const socket = ctx.extra.socket;
        try {
          return await openings.run(
            'connect',
            () => socket.readyState !== socket.OPEN,
            () => connectWindow(ctx),
          );
        } catch (error) {
          // The console gave up while it queued: nobody to refuse.
          if (error instanceof OpeningAbandonedError) return false;
          // Never the driver's message (it names internal addresses) as the close reason.
          if (isDatabaseUnavailable(error)) {
            refuse(
              ctx.extra,
              'unavailable',
              CloseCodes.TryAgainLater,
              'Service unavailable: retry shortly',
            );
          } else {
            logger.record(
              'error',
              { requestId: ctx.extra.socketRequestId, err: serializeError(error) },
              'opening a window failed',
            );
            refuse(ctx.extra, 'failed', CloseCodes.InternalServerError, 'Internal server error');
          }
          return false;
        }
      },
      onClose: async (ctx, code, reason) => {
        socketLine(ctx.extra, 'socket closed', {
          code,
          reason: reason || undefined,
          durationMs:
            ctx.extra.connectedAt === undefined
              ? undefined
              : Math.round(performance.now() - ctx.extra.connectedAt),
        });
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
      onSubscribe: async (ctx, id, payload) => {
        // A refusal is this operation's error message; the socket and its other operations stay.
        try {
          const operation = operationOf(ctx.extra, id);
          if (payload.operationName && /^\w{1,100}$/.test(payload.operationName))
            operation.operationName = payload.operationName;
          const checked = documents.check(payload.query);
          if (checked.errors) return checked.errors;
          const { document } = checked;
          const ast = getOperationAST(document, payload.operationName);
          operation.type = ast?.operation ?? '-';
          operation.field = rootFieldOf(ast);
          const variables = payload.variables ?? undefined;
          costs.requireWithinCost(document, payload.operationName, variables);
          // The role as stored now: updateStaff reaches an open socket's next operation.
          if (ctx.extra.auth && ctx.extra.heldRole)
            ctx.extra.auth = await services.streamAccess.current(
              ctx.extra.auth,
              ctx.extra.heldRole,
            );
          if (ast?.operation === 'subscription') {
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
          const contextValue = options.buildContext(
            ctx.extra.auth as Auth,
            ctx.extra.clientAddress ?? null,
          );
          socketOf.set(contextValue, ctx.extra.socket);
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: variables,
            contextValue,
          };
        } catch (error) {
          return [asGraphQLError(error)];
        }
      },
      // A subscription that started is counted (and logged) then; it stays open until it ends.
      onOperation: (ctx, id, _payload, _args, result) => {
        if (!(Symbol.asyncIterator in result)) return;
        const operation = ctx.extra.operations?.get(id);
        if (!operation) return;
        operation.open = true;
        metrics.subscriptionOpened();
        record(ctx.extra, id, operation, 'OK');
      },
      onNext: (ctx, id, _payload, _args, result) => {
        // The result itself, not graphql-ws' copy of it (`{ ...result }`): a cohort's shared
        // result serializes to its marker through a `toJSON` the copy would not have, and every
        // socket would serialize the whole event again (SharedExecution).
        if (!result.errors) return result;
        const errors = format(result.errors, requestIdOf(ctx.extra, id));
        const operation = ctx.extra.operations?.get(id);
        if (operation) operation.outcome ??= outcomeOf(errors);
        return { ...result, errors };
      },
      // An error message ends the operation: its id is not kept (onComplete does not follow, but
      // for a subscription that failed once started, which finds nothing left to do).
      onError: (ctx, id, _payload, errors) => {
        const formatted = format(errors, requestIdOf(ctx.extra, id));
        finish(ctx.extra, id, outcomeOf(formatted));
        return formatted;
      },
      onComplete: (ctx, id) => {
        finish(ctx.extra, id, undefined);
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
