import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';
import { parseWithinLimits, type QueryLimits } from './limits';

export type CheckedDocument =
  { document: DocumentNode; errors?: undefined } | { errors: readonly GraphQLError[] };

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { code, ...error.extensions },
  });
}

export interface DocumentCacheBounds {
  /** Documents remembered. */
  entries: number;
  /** Query text remembered, in UTF-16 code units (a syntax tree is a small multiple of it). */
  characters: number;
}

const DEFAULT_BOUNDS: DocumentCacheBounds = { entries: 1000, characters: 8 * 1024 * 1024 };

/**
 * Parsed and validated documents by query text, as Apollo keeps them for HTTP: every console
 * subscribes with the same few documents, so each is parsed and validated once per instance and
 * all its subscriptions share one syntax tree (memory per console, connect rate). Refusals are
 * remembered too. Least recently used texts go first past either bound.
 */
export class DocumentCache {
  private readonly checked = new Map<string, CheckedDocument>();
  private readonly rules: readonly ValidationRule[];
  private characters = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: QueryLimits,
    validationRules: readonly ValidationRule[],
    private readonly bounds: DocumentCacheBounds = DEFAULT_BOUNDS,
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
    if (query.length > this.bounds.characters) return result; // answered, not remembered
    this.characters += query.length;
    this.checked.set(query, result);
    while (this.checked.size > this.bounds.entries || this.characters > this.bounds.characters) {
      const oldest = this.checked.keys().next().value as string;
      this.checked.delete(oldest);
      this.characters -= oldest.length;
    }
    return result;
  }

  /** For tests: what the cache holds. */
  get size(): { entries: number; characters: number } {
    return { entries: this.checked.size, characters: this.characters };
  }

  private parseAndValidate(query: string): CheckedDocument {
    let document: DocumentNode;
    try {
      document = parseWithinLimits(query, this.limits);
    } catch (error) {
      return { errors: [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
    }
    const errors = validate(this.schema, document, this.rules);
    if (errors.length)
      return { errors: errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) };
    return { document };
  }
}
