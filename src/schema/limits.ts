import {
  type ASTVisitor,
  getOperationAST,
  getVariableValues,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { type ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

function depthOf(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): number {
  if (!selectionSet) return 0;
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) {
      // Introspection is allowed whatever its depth: tools such as the playground need it.
      if (selection.name.value.startsWith('__')) continue;
      depth = selection.selectionSet ? 1 + depthOf(selection.selectionSet, fragments, visiting) : 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = depthOf(selection.selectionSet, fragments, visiting);
    } else {
      const name = selection.name.value;
      if (visiting.has(name)) continue; // a cycle; graphql's own rules report it
      visiting.add(name);
      depth = depthOf(fragments[name]?.selectionSet, fragments, visiting);
      visiting.delete(name);
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

/** A validation rule refusing operations nested deeper than `maxDepth` fields. */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const fragments = Object.fromEntries(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, fragments, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`The query is ${depth} levels deep; the limit is ${maxDepth}`, {
              nodes: [operation],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' },
            }),
          );
        }
      },
    };
  };
}

/** A page of `first` items costs `first` times its items. */
const pagedEstimator: ComplexityEstimator = ({ args, childComplexity }) =>
  typeof args.first === 'number' ? 1 + args.first * Math.max(childComplexity, 1) : undefined;

export function costOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): number {
  return getComplexity({
    schema,
    query: document,
    operationName,
    variables,
    estimators: [pagedEstimator, simpleEstimator({ defaultComplexity: 1 })],
  });
}

/**
 * Costs already computed, per parsed document: Apollo (and the socket layer) reuse the parsed
 * document of a query text, so a console sending the same operations again is costed once per
 * distinct operation name and variables. Estimating walks the whole document with the schema,
 * which was a tenth of a lock operation's server time.
 */
const knownCosts = new WeakMap<DocumentNode, Map<string, number>>();
/** Distinct variables remembered per document; past it the document's costs start over. */
const MAX_COSTS_PER_DOCUMENT = 256;

/** The cost, or undefined when the variables do not coerce (execution refuses those). */
function cachedCostOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): number | undefined {
  let costs = knownCosts.get(document);
  if (!costs) knownCosts.set(document, (costs = new Map()));
  const key = `${operationName ?? ''}\n${JSON.stringify(variables ?? {})}`;
  const known = costs.get(key);
  if (known !== undefined) return known;
  if (coerceVariables(schema, document, operationName, variables).errors) return undefined;
  const cost = costOf(schema, document, operationName, variables);
  if (costs.size >= MAX_COSTS_PER_DOCUMENT) costs.clear();
  costs.set(key, cost);
  return cost;
}

/**
 * The operation's variables, coerced to their types, or the errors that refuse them
 * (BAD_USER_INPUT, naming the variable).
 */
export function coerceVariables(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): { errors: GraphQLError[] } | { errors?: undefined } {
  const operation = getOperationAST(document, operationName);
  if (!operation) return {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (!coerced.errors) return {};
  return {
    errors: coerced.errors.map(
      (error) =>
        new GraphQLError(error.message, {
          nodes: error.nodes,
          originalError: error.originalError,
          extensions: { code: 'BAD_USER_INPUT' },
        }),
    ),
  };
}

/**
 * Refuses an operation whose estimated cost exceeds `maxCost`, before it runs. Variables that do
 * not coerce are left for execution to refuse (as BAD_USER_INPUT), not counted here.
 */
export function requireWithinCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  maxCost: number,
): void {
  const cost = cachedCostOf(schema, document, operationName, variables);
  if (cost !== undefined && cost > maxCost) throw costError(cost, maxCost);
}

/**
 * What refuses an operation before it runs where nothing else will (a subscription over a
 * socket): variables that do not coerce (BAD_USER_INPUT), or a cost over `maxCost`.
 */
export function refusalsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  maxCost: number,
): readonly GraphQLError[] {
  const cost = cachedCostOf(schema, document, operationName, variables);
  if (cost === undefined)
    return coerceVariables(schema, document, operationName, variables).errors ?? [];
  return cost > maxCost ? [costError(cost, maxCost)] : [];
}

function costError(cost: number, maxCost: number): GraphQLError {
  return new GraphQLError(
    `The query costs ${cost}; the limit is ${maxCost}. Ask for smaller pages.`,
    {
      extensions: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        limit: 'cost',
        cost,
        maxCost,
        http: { status: 400 },
      },
    },
  );
}
