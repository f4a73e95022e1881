import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  parse,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';

export type CheckedDocument =
  { document: DocumentNode; errors?: undefined } | { errors: readonly GraphQLError[] };

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, code },
  });
}

/**
 * Parsed and validated documents by query text, as Apollo keeps them for HTTP: every console
 * subscribes with the same few documents, so each is parsed and validated once per instance and
 * all its subscriptions share one syntax tree (memory per console, connect rate). Refusals are
 * remembered too. Least recently used texts go first past `capacity`.
 */
export class DocumentCache {
  private readonly checked = new Map<string, CheckedDocument>();
  private readonly rules: readonly ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    validationRules: readonly ValidationRule[],
    private readonly capacity = 1000,
  ) {
    this.rules = [...specifiedRules, ...validationRules];
  }

  check(query: string): CheckedDocument {
    const known = this.checked.get(query);
    if (known) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
      this.checked.delete(query);
      this.checked.set(query, known);
      return known;
    }
    const result = this.parseAndValidate(query);
    if (this.checked.size >= this.capacity) {
      const oldest = this.checked.keys().next().value;
      if (oldest !== undefined) this.checked.delete(oldest);
    }
    this.checked.set(query, result);
    return result;
  }

  private parseAndValidate(query: string): CheckedDocument {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { errors: [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
    }
    const errors = validate(this.schema, document, this.rules);
    if (errors.length)
      return { errors: errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) };
    return { document };
  }
}
