import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import {
  type DocumentNode,
  execute,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

export interface Operation {
  document: DocumentNode;
  /** None when the operation name names no operation of the document: graphql-js refuses it. */
  operation: OperationDefinitionNode | undefined;
  operationName: string | null;
  variables: Record<string, unknown> | undefined;
  context: unknown;
}

type Compiled = CompiledQuery | null;

/** graphql-js stops counting invalid variable values there too. */
const MAX_VARIABLE_ERRORS = 50;

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown }).then === 'function';

/**
 * graphql-jit's errors inherit from graphql-js's GraphQLError without running its constructor:
 * without `extensions` (Apollo reads `extensions.code` of every error, and failed on them: every
 * resolver error was masked as INTERNAL_SERVER_ERROR) and without `nodes`. Made again as
 * graphql-js makes them: the message, path, locations and original error (whose code
 * format-error.ts maps) as they were.
 */
function withGraphqlJsErrors(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  // In graphql-js's order (errors first), so that answers read as they did, byte for byte.
  return { errors: result.errors.map(asGraphqlJsError), data: result.data };
}

function asGraphqlJsError(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  const made = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError,
  });
  (made as { locations: GraphQLError['locations'] }).locations = error.locations;
  return made;
}

/** Introspection at the root (`__schema`, `__type`): the playground's, left to graphql-js. */
function introspects(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.some(
    (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
  );
}

/**
 * Queries executed by code compiled once per document (graphql-jit): the plan graphql-js works
 * out again for every field of every row (which resolver, which type, how to complete it) is
 * JavaScript written once, so a page of 50 customers with contacts, conversations and assignees
 * reads its ~900 plain fields as property reads. Compiled per parsed document: Apollo's document
 * store hands the same syntax tree for the same text, and what is compiled for it goes with it
 * (a WeakMap), so the cache is as bounded as Apollo's.
 *
 * Everything else keeps graphql-js: mutations (their cost is their write, and their order is
 * graphql-js's), introspection, and any document graphql-jit cannot compile. Variables are
 * coerced by graphql-js first, so bad input is refused in its words (Apollo reads them to answer
 * BAD_USER_INPUT, format-error.ts to name the field). Resolvers, auth checks and error codes are
 * the schema's own either way: graphql-jit calls the same resolvers.
 */
export class CompiledQueries {
  private readonly compiled = new WeakMap<DocumentNode, Map<string, Compiled>>();

  constructor(private readonly schema: GraphQLSchema) {}

  execute(request: Operation): Promise<ExecutionResult> | ExecutionResult {
    const compiled = this.compiledFor(request);
    const { schema } = this;
    const { document, operation, operationName, variables, context } = request;
    if (!compiled) {
      return execute({
        schema,
        document,
        operationName,
        variableValues: variables,
        contextValue: context,
      });
    }
    if (operation?.variableDefinitions?.length) {
      const coerced = getVariableValues(schema, operation.variableDefinitions, variables ?? {}, {
        maxErrors: MAX_VARIABLE_ERRORS,
      });
      if (coerced.errors) return { errors: coerced.errors };
    }
    const result = compiled.query(undefined, context, variables);
    return isPromise(result) ? result.then(withGraphqlJsErrors) : withGraphqlJsErrors(result);
  }

  /** For tests: whether this operation of this document runs compiled. */
  isCompiled(request: Pick<Operation, 'document' | 'operation' | 'operationName'>): boolean {
    return this.compiledFor(request) !== null;
  }

  private compiledFor({
    document,
    operation,
    operationName,
  }: Pick<Operation, 'document' | 'operation' | 'operationName'>): Compiled {
    if (!operation || operation.operation !== 'query' || introspects(operation)) return null;
    let byName = this.compiled.get(document);
    if (!byName) this.compiled.set(document, (byName = new Map()));
    const key = operationName ?? '';
    let compiled = byName.get(key);
    if (compiled === undefined) {
      const result = compileQuery(this.schema, document, operationName ?? undefined);
      compiled = isCompiledQuery(result) ? result : null;
      byName.set(key, compiled);
    }
    return compiled;
  }
}

type Gateway = ApolloServerOptionsWithGateway<BaseContext>['gateway'];

/**
 * Apollo Server's way to bring an executor of one's own: a "gateway" whose schema never changes.
 * Apollo still parses (its document store), validates (with our limit rules), runs every plugin
 * hook and formats every error; only the execution step is ours.
 */
export function compiledExecution(
  schema: GraphQLSchema,
  queries = new CompiledQueries(schema),
): Gateway {
  let loaded: Parameters<Gateway['onSchemaLoadOrUpdate']>[0] | undefined;
  return {
    onSchemaLoadOrUpdate(callback) {
      loaded = callback;
      return () => {
        loaded = undefined;
      };
    },
    async load() {
      loaded?.({ apiSchema: schema, coreSupergraphSdl: '' });
      return {
        executor: async (request) =>
          queries.execute({
            document: request.document,
            operation: request.operation,
            // The client's, as Apollo hands it to graphql-js (the resolved one is null when it
            // names no operation, which graphql-js must refuse rather than run the only one).
            operationName: request.request.operationName ?? null,
            variables: request.request.variables,
            context: request.context,
          }),
      };
    },
    async stop() {},
  };
}
