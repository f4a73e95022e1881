import { blockFieldSuggestionsDefaultOptions } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  type DocumentNode,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../config';

/** What a document may be, refused before anything runs (README, "Configuration"). */
export interface QueryLimits {
  /** Fields nested in fields, fragments flattened. */
  maxDepth: number;
  /** Aliased fields (the same field asked for many times over, in one request). */
  maxAliases: number;
  /** Lexical tokens of the query text: parsing stops there. */
  maxTokens: number;
  maxDirectives: number;
  /** Estimated items read (README: a page of `first: n` costs n times its items). */
  maxCost: number;
  /** Off: introspection is refused and error messages suggest no field names. */
  introspection: boolean;
}

export function queryLimitsOf(config: Config): QueryLimits {
  return {
    maxDepth: config.maxQueryDepth,
    maxAliases: config.maxAliases,
    maxTokens: config.maxTokens,
    maxDirectives: config.maxDirectives,
    maxCost: config.maxQueryCost,
    introspection: config.introspection,
  };
}

export type LimitName = 'depth' | 'aliases' | 'tokens' | 'directives' | 'cost';

/** A document refused by a limit: a client error that names the limit, never a 500. */
export function limitError(
  limit: LimitName,
  message: string,
  details: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, ...details, http: { status: 400 } },
  });
}

type ShapeLimit = 'depth' | 'aliases' | 'directives';

const MEASURES: Record<ShapeLimit, (found: string) => string> = {
  depth: (found) => `The query is ${found} levels deep`,
  aliases: (found) => `The query has ${found} aliases`,
  directives: (found) => `The query has ${found} directives`,
};

/**
 * graphql-armor's rules report through callbacks; this one makes their refusal a validation
 * error of ours (with `limit`), reported to graphql-js instead of thrown out of the visitor.
 * Armor's message ("... limit of 12 exceeded, found 13.") gives what was found.
 */
function reportAs(limit: ShapeLimit, max: number) {
  return {
    exposeLimits: true,
    propagateOnRejection: false,
    onAccept: [],
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const found = /found (\d+)/.exec(error.message)?.[1];
        const measure = found
          ? MEASURES[limit](found)
          : error.message.replace(/^Syntax Error: /, '');
        context?.reportError(limitError(limit, `${measure}; the limit is ${max}`, { max }));
      },
    ],
  };
}

/**
 * Validation rules for the shape of a document (graphql-armor's), shared by HTTP and WebSocket.
 * Each walks a fragment once however often it is spread (armor memoizes per fragment), so a
 * document that spreads fragments exponentially is measured in time linear in its size.
 */
export function documentLimitRules(limits: QueryLimits): ValidationRule[] {
  const rules: ValidationRule[] = [
    maxDepthRule({
      n: limits.maxDepth,
      // Depth counts fields: a fragment is where fields are written, not a level of its own.
      flattenFragments: true,
      // The standard introspection query is deep; graphql-js's MaxIntrospectionDepthRule bounds it.
      ignoreIntrospection: true,
      ...reportAs('depth', limits.maxDepth),
    }),
    maxAliasesRule({ n: limits.maxAliases, ...reportAs('aliases', limits.maxAliases) }),
    maxDirectivesRule({ n: limits.maxDirectives, ...reportAs('directives', limits.maxDirectives) }),
  ];
  if (!limits.introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

/**
 * The refusal graphql-js's parser throws past `maxTokens` ("Document contains more that N
 * tokens"), as a limit error; undefined for any other error. graphql-js stops lexing at the limit,
 * so a huge document costs no more than its first `maxTokens` tokens. Pinned by a unit test, so an
 * upgrade that rewords the message fails loudly.
 */
export function asTokenLimitError(error: unknown): GraphQLError | undefined {
  const message = error instanceof Error ? error.message : '';
  const max = /^Syntax Error: Document contains more th(?:an|at) (\d+) tokens/.exec(message)?.[1];
  if (max === undefined) return undefined;
  return limitError('tokens', `The query has more than ${max} tokens; the limit is ${max}`, {
    max: Number(max),
  });
}

/** Parses with the token limit; the refusal is the limit error, other syntax errors as thrown. */
export function parseWithinLimits(source: string, limits: QueryLimits): DocumentNode {
  try {
    return parse(source, { maxTokens: limits.maxTokens });
  } catch (error) {
    throw asTokenLimitError(error) ?? error;
  }
}

/**
 * graphql-armor's mask for "Did you mean ...?" when introspection is off. Its Apollo plugin edits
 * messages in `didEncounterErrors`, which the socket path never runs; the one formatter applies it
 * to both.
 */
const SUGGESTION = /Did you mean ".+"\?/g;
export const HIDDEN_SUGGESTION = blockFieldSuggestionsDefaultOptions.mask;

export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, HIDDEN_SUGGESTION).trim();
}
