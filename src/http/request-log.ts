import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Auth } from '../context/auth';
import type { Context } from '../context/context';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import { RequestContext } from './request-context';
import { type RequestRecord, requestRecordOf, tagErrorsWithRequest } from './request-id';

/** Probes and scrapes: logged at debug only (a balancer asks every few seconds), never counted. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The operation's first root field: what a request is counted by. Bounded by the schema, unlike
 * the operation name a client chooses (which is logged, never a label).
 */
export function rootFieldOf(operation: OperationDefinitionNode | null | undefined): string {
  const first = operation?.selectionSet.selections[0];
  return first?.kind === Kind.FIELD ? first.name.value : '-';
}

/** `OK`, or the first error's code. */
export function outcomeOf(
  errors: ReadonlyArray<{ extensions?: Record<string, unknown> }> | undefined,
): string {
  if (!errors?.length) return 'OK';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** The caller's organization, sign-in session and window, as log fields. */
export function callerFields(auth: Auth | null | undefined): Partial<RequestRecord> {
  if (!auth) return {};
  return {
    organization: auth.organizationId,
    session: auth.signInSessionId ?? auth.apiKeyId ?? undefined,
    window: auth.clientSessionId ?? undefined,
  };
}

/** An answer GraphQL did not give (refused before it, or a 404): its code from its status. */
function outcomeOfStatus(status: number): string {
  if (status < 400) return 'OK';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  return status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
}

/** Rounded to a tenth of a millisecond: what an operator reads, in fewer bytes. */
const roundMs = (ms: number) => Math.round(ms * 10) / 10;

/**
 * One log line per HTTP request once it is answered (or abandoned), and its count and latency
 * for /metrics. What the line says is chosen field by field (ids, names, codes, times): never a
 * header, a variable or a body, so a token, a password or a message cannot get into it.
 */
export function observeRequests(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const path = req.path;
    res.once('close', () => {
      const record = requestRecordOf(res);
      const seconds = (performance.now() - record.startedAt) / 1000;
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away
      const outcome = record.outcome ?? outcomeOfStatus(status);
      const probe = PROBES.has(path);
      if (!probe && path === '/graphql') {
        metrics.recordRequest({
          transport: 'http',
          type: record.type ?? '-',
          operation: record.field ?? '-',
          outcome,
          seconds,
        });
      }
      const level = probe ? 'debug' : 'info';
      if (!logger.enabled(level)) return;
      logger.record(
        level,
        {
          requestId: record.id,
          method: req.method,
          path,
          status,
          durationMs: roundMs(seconds * 1000),
          type: record.type,
          operation: record.field,
          operationName: record.operationName,
          outcome,
          organization: record.organization,
          session: record.session,
          window: record.window,
          address: req.ip,
        },
        'request',
      );
    });
    next();
  };
}

/** Fills the request's record with what GraphQL learnt of it: its operation, caller and outcome. */
export function requestRecordPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const record = contextValue instanceof RequestContext ? contextValue.request : undefined;
      if (!record) return {};
      return {
        async didEncounterErrors({ errors }) {
          tagErrorsWithRequest(errors, record.id);
        },
        async didResolveOperation({ operation, operationName }) {
          if (!operation) return;
          record.type = operation.operation;
          record.field = rootFieldOf(operation);
          // A client's name, written in a log line: plain and short, or not at all.
          if (operationName && /^\w{1,100}$/.test(operationName))
            record.operationName = operationName;
        },
        async willSendResponse({ response, contextValue }) {
          Object.assign(record, callerFields(contextValue.auth));
          if (response.body.kind === 'single')
            record.outcome = outcomeOf(response.body.singleResult.errors);
        },
      };
    },
  };
}
