import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import {
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../db/pagination';
import { ErrorCode } from '../errors/domain-error';
import { limitError } from './limits';

/** Where a document asks for a page: its `first` is written, a variable, or left to its default. */
interface PageSite {
  field: FieldNode;
  size: { literal: number } | { variable: string } | { defaultSize: number };
}

/** What is known of a document once, whatever its variables. */
interface DocumentPlan {
  sites: PageSite[];
  /** The names of the variables that size a page, in a fixed order (the cost's cache key). */
  sizeVariables: string[];
  /** Costs already computed, by operation name and page sizes. */
  costs: Map<string, number>;
  /** A page size written out of range, which refuses the document whatever its variables. */
  refusal?: GraphQLError;
}

/**
 * Costs remembered per document: a console sends the same few documents with the same page
 * sizes. The key is the operation and its page sizes only (numbers from 1 to MAX_PAGE_SIZE),
 * never the other variables, so a request cannot grow this.
 */
const COSTS_PER_DOCUMENT = 32;

function pageSizeError(value: unknown): GraphQLError {
  return new GraphQLError(`first must be between 1 and ${MAX_PAGE_SIZE} (got ${String(value)})`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'first', http: { status: 400 } },
  });
}

const isPageSize = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_PAGE_SIZE;

/**
 * The page sizes and estimated cost of an operation, refused before it runs (and before the
 * caller is looked up). The cost is graphql-armor's: every field costs 1, a page of `first: n`
 * costs n times its items; armor reads only page sizes written in the document, so the cost is
 * taken of a copy of the operation where each page's actual size is written out (from its
 * variable, the variable's default, or the argument's default).
 */
export class OperationCosts {
  private readonly plans = new WeakMap<DocumentNode, DocumentPlan>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly maxCost: number,
  ) {}

  /** Throws BAD_USER_INPUT (naming `first`) for a page size out of range, or the cost limit. */
  requireWithinCost(
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Readonly<Record<string, unknown>> | null | undefined,
  ): void {
    const plan = this.planOf(document);
    if (plan.refusal) throw plan.refusal;
    // A document whose pages are not sized by variables (a lock operation, say): one lookup.
    const known = plan.sizeVariables.length ? undefined : plan.costs.get(`${operationName ?? ''}|`);
    const cost = known ?? this.costWith(plan, document, operationName, variables ?? {});
    if (cost !== undefined && cost > this.maxCost) {
      throw limitError(
        'cost',
        `The query costs ${cost}; the limit is ${this.maxCost}. Ask for smaller pages.`,
        { cost, maxCost: this.maxCost },
      );
    }
  }

  /** The cost with these page sizes, remembered; undefined when no operation is selected. */
  private costWith(
    plan: DocumentPlan,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Readonly<Record<string, unknown>>,
  ): number | undefined {
    const operation = selectedOperation(document, operationName);
    if (!operation) return undefined; // graphql-js refuses it at execution, with its own message
    const sizes = this.sizesOf(plan, operation, variables);
    const key = `${operationName ?? ''}|${plan.sizeVariables.map((name) => sizes.get(name)).join(',')}`;
    let cost = plan.costs.get(key);
    if (cost === undefined) {
      cost = this.costOf(document, operation, plan, sizes);
      if (plan.costs.size >= COSTS_PER_DOCUMENT) plan.costs.clear();
      plan.costs.set(key, cost);
    }
    return cost;
  }

  /** The cost alone (for tests and tools): page sizes as `variables` give them. */
  costOfDocument(document: DocumentNode, variables: Record<string, unknown> = {}): number {
    const plan = this.planOf(document);
    const operation = selectedOperation(document, undefined);
    if (!operation) return 0;
    return this.costOf(document, operation, plan, this.sizesOf(plan, operation, variables));
  }

  /** How many costs are remembered for a document (for tests: it is bounded). */
  rememberedCosts(document: DocumentNode): number {
    return this.plans.get(document)?.costs.size ?? 0;
  }

  private planOf(document: DocumentNode): DocumentPlan {
    let plan = this.plans.get(document);
    if (plan) return plan;
    const sites: PageSite[] = [];
    let refusal: GraphQLError | undefined;
    const typeInfo = new TypeInfo(this.schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field: (field) => {
          const definition = typeInfo.getFieldDef()?.args.find((arg) => arg.name === 'first');
          if (!definition) return;
          const value = field.arguments?.find((arg) => arg.name.value === 'first')?.value;
          if (!value) {
            const fallback = definition.defaultValue;
            sites.push({
              field,
              size: { defaultSize: typeof fallback === 'number' ? fallback : DEFAULT_PAGE_SIZE },
            });
          } else if (value.kind === Kind.VARIABLE) {
            sites.push({ field, size: { variable: value.name.value } });
          } else {
            // Validation lets only Int literals through; anything else is refused here anyway.
            const literal = value.kind === Kind.INT ? Number(value.value) : NaN;
            if (isPageSize(literal)) sites.push({ field, size: { literal } });
            else refusal ??= pageSizeError(value.kind === Kind.INT ? value.value : 'not a number');
          }
        },
      }),
    );
    const sizeVariables = [
      ...new Set(sites.flatMap((site) => ('variable' in site.size ? [site.size.variable] : []))),
    ].sort();
    plan = { sites, sizeVariables, costs: new Map(), refusal };
    this.plans.set(document, plan);
    return plan;
  }

  /**
   * The size of each page variable: the value sent, else the variable's default. A value that
   * is not a whole number is left to variable coercion, which refuses the whole operation before
   * anything runs (priced meanwhile as the default page size).
   */
  private sizesOf(
    plan: DocumentPlan,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>>,
  ): Map<string, number> {
    const sizes = new Map<string, number>();
    for (const name of plan.sizeVariables) {
      let value: unknown = variables[name];
      if (value === undefined) {
        const declared = operation.variableDefinitions?.find((d) => d.variable.name.value === name);
        const fallback = declared?.defaultValue;
        value = fallback?.kind === Kind.INT ? Number(fallback.value) : DEFAULT_PAGE_SIZE;
      }
      if (typeof value === 'number' && Number.isInteger(value) && !isPageSize(value))
        throw pageSizeError(value);
      sizes.set(name, isPageSize(value) ? value : DEFAULT_PAGE_SIZE);
    }
    return sizes;
  }

  private costOf(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    plan: DocumentPlan,
    sizes: Map<string, number>,
  ): number {
    const sized = new Map<FieldNode, number>(
      plan.sites.map((site) => [
        site.field,
        'literal' in site.size
          ? site.size.literal
          : 'variable' in site.size
            ? (sizes.get(site.size.variable) as number)
            : site.size.defaultSize,
      ]),
    );
    // The selected operation and every fragment, each page's size written out.
    const written = visit(
      {
        ...document,
        definitions: document.definitions.filter(
          (d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation,
        ),
      },
      {
        Field: (field) => {
          const size = sized.get(field);
          if (size === undefined) return undefined;
          const first: ArgumentNode = {
            kind: Kind.ARGUMENT,
            name: { kind: Kind.NAME, value: 'first' },
            value: { kind: Kind.INT, value: String(size) },
          };
          return {
            ...field,
            arguments: [first, ...(field.arguments ?? []).filter((a) => a.name.value !== 'first')],
          };
        },
      },
    );
    let cost = 0;
    const errors = validate(this.schema, written, [
      costLimitRule({
        // Armor measures; the limit is applied above, where the refusal can say the cost.
        maxCost: Number.POSITIVE_INFINITY,
        objectCost: 1,
        scalarCost: 1,
        depthCostFactor: 1,
        flattenFragments: true,
        ignoreIntrospection: true,
        propagateOnRejection: false,
        onAccept: [
          (_context, details: { n: number }) => {
            cost = Math.max(cost, details.n);
          },
        ],
      }),
    ]);
    if (errors.length) throw errors[0];
    return cost;
  }
}

function selectedOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}
