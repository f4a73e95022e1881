import {
  type FieldNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  getNamedType,
  isObjectType,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { connectionNodes, connectionNodeType, fieldsOf } from './selected-properties';

/**
 * What a query reads below a page of objects, as a tree Postgres can answer in the page's own
 * statement (issue 20: the nested answer built as JSON by Postgres, as PostGraphile does): the
 * properties read of each object, and the relations ("embeddable" fields) whose objects come
 * with it. A field resolver says which relation of its parent it reads with
 * `@Extensions({ embeds: 'contacts' })` (its objects' selection is then read from the field's
 * own), or `embeds: { relation: 'helpers', reads: ['staffId'] }` for a field whose value is
 * worked out from the relation's objects (a count, a tag): it reads those properties of them.
 * Its resolver takes the embedded value from its parent (`embeddedRelation`) instead of a loader.
 *
 * A relation is left out (its fields use their loaders, as before) when its objects' selection
 * cannot be told (a field that declares nothing it reads), when two fields read it with
 * different arguments (aliases), when its arguments are not valid (the resolver refuses them as
 * before), or when its page's `totalCount` is selected.
 */
export interface NestedSelection {
  /** Properties read of each object, sorted; null when they cannot be told (whole rows). */
  properties: string[] | null;
  /** Whether a cursor of the page is read (its order column is then read too). */
  cursor: boolean;
  /** The relations read with the objects, sorted by name. */
  relations: EmbeddedSelection[];
}

export interface EmbeddedSelection {
  /** The relation's name among its parent's (`contacts`, `conversations`, `assignee`...). */
  name: string;
  /** The arguments of the field that reads it, coerced (defaults applied). */
  args: Record<string, unknown>;
  /** What is read of its objects (their properties are known: never null here). */
  node: NestedSelection & { properties: string[] };
}

interface EmbedsDeclaration {
  relation: string;
  reads?: string[];
}

function embedsOf(field: GraphQLField<unknown, unknown>): EmbedsDeclaration | null {
  const declared = field.extensions?.embeds as string | EmbedsDeclaration | undefined;
  if (typeof declared === 'string') return { relation: declared };
  if (declared && typeof declared.relation === 'string') return declared;
  return null;
}

/** A relation as the fields of one selection read it. */
interface Gathered {
  args: Record<string, unknown>;
  argsKey: string;
  /** The selections of its objects (fields returning them; a page's `node`s). */
  nodes: FieldNode[];
  /** Properties read by fields that compute a value from the objects. */
  reads: Set<string>;
  cursor: boolean;
  /** What is read of it cannot be embedded (see NestedSelection). */
  refused: boolean;
  /** The object type of its objects. */
  type: GraphQLObjectType | null;
}

function argumentsOf(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  info: GraphQLResolveInfo,
): Record<string, unknown> | null {
  try {
    return getArgumentValues(field, node, info.variableValues);
  } catch {
    return null; // the resolver refuses them, as before
  }
}

/** The nested selection of objects of `type` selected by `nodes`. */
function selectionOf(
  type: GraphQLObjectType,
  nodes: readonly FieldNode[],
  cursor: boolean,
  extraReads: Iterable<string>,
  info: GraphQLResolveInfo,
): NestedSelection {
  const fields = type.getFields();
  let read: Set<string> | null = new Set(extraReads);
  const gathered = new Map<string, Gathered>();
  for (const node of nodes) {
    if (!node.selectionSet) {
      read = null;
      continue;
    }
    for (const selected of fieldsOf(node.selectionSet, info)) {
      const name = selected.name.value;
      if (name === '__typename') continue;
      const field = fields[name];
      if (!field) {
        read = null;
        continue;
      }
      if (!field.resolve) {
        read?.add(name);
        continue;
      }
      const declared = field.extensions?.reads;
      if (Array.isArray(declared)) for (const property of declared) read?.add(String(property));
      else read = null;
      const embeds = embedsOf(field);
      if (embeds) gather(gathered, field, selected, embeds, info);
    }
  }
  const relations: EmbeddedSelection[] = [];
  for (const [name, relation] of gathered) {
    if (relation.refused) continue;
    // Only values worked out from its objects (a count): what they read, nothing nested.
    const node = relation.type
      ? selectionOf(relation.type, relation.nodes, relation.cursor, relation.reads, info)
      : { properties: [...relation.reads].sort(), cursor: false, relations: [] };
    if (node.properties === null) continue;
    relations.push({ name, args: relation.args, node: node as EmbeddedSelection['node'] });
  }
  relations.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { properties: read ? [...read].sort() : null, cursor, relations };
}

/** Adds what `selected` (a field declaring `embeds`) reads of its relation. */
function gather(
  gathered: Map<string, Gathered>,
  field: GraphQLField<unknown, unknown>,
  selected: FieldNode,
  embeds: EmbedsDeclaration,
  info: GraphQLResolveInfo,
): void {
  const args = argumentsOf(field, selected, info);
  const argsKey = JSON.stringify(args);
  let relation = gathered.get(embeds.relation);
  if (!relation) {
    relation = {
      args: args ?? {},
      argsKey,
      nodes: [],
      reads: new Set(),
      cursor: false,
      refused: args === null,
      type: null,
    };
    gathered.set(embeds.relation, relation);
  } else if (relation.argsKey !== argsKey) {
    relation.refused = true;
  }
  const pageNode = connectionNodeType(field.type);
  let type: GraphQLObjectType | null;
  if (embeds.reads) {
    // A value worked out from the objects: it reads these properties of them, nothing else.
    for (const property of embeds.reads) relation.reads.add(property);
    type = null;
  } else if (pageNode) {
    const page = connectionNodes([selected], info);
    if (!page.known || page.totalCount) relation.refused = true;
    relation.nodes.push(...page.nodes);
    relation.cursor ||= page.cursor;
    type = pageNode;
  } else {
    const named = getNamedType(field.type);
    if (!isObjectType(named)) {
      relation.refused = true;
      return;
    }
    relation.nodes.push(selected);
    type = named;
  }
  if (type) {
    if (relation.type && relation.type !== type) relation.refused = true;
    relation.type = type;
  }
}

const pages = new WeakMap<readonly FieldNode[], NestedSelection | null>();

/**
 * For a root field returning a connection: what its nodes' selections read, relations
 * included. Worked out once per field of a parsed document whose operation declares no
 * variable (the arguments below may depend on their values otherwise).
 */
export function nestedPageSelection(info: GraphQLResolveInfo): NestedSelection | null {
  const cached = pages.get(info.fieldNodes);
  if (cached !== undefined) return cached;
  const type = connectionNodeType(info.returnType);
  let found: NestedSelection | null = null;
  if (type) {
    const page = connectionNodes(info.fieldNodes, info);
    found = page.known ? selectionOf(type, page.nodes, page.cursor, [], info) : null;
  }
  if (!info.operation.variableDefinitions?.length) pages.set(info.fieldNodes, found);
  return found;
}
