import {
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  getNamedType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/**
 * The entity properties a query reads of the objects a field returns, worked out from its
 * selection: a plain field reads the property of its name; a field resolver reads what it
 * declares with `@Extensions({ reads: [...] })`. A loader can then select those columns only
 * instead of whole rows (a page of 50 customers with three conversations each parsed 23 columns
 * of 150 rows, of which the console's list reads one).
 *
 * `null` means "everything": a field resolver that declares nothing, a field this cannot place.
 * Fragments and `@include`/`@skip` are followed as if every branch were taken: the set is never
 * smaller than what the answer reads. A resolver that declares `reads` must read nothing else
 * of its object (an undeclared property would be undefined).
 */
export interface SelectedProperties {
  /** The properties read, sorted (a loader's key). */
  properties: string[];
  /** Whether a cursor is selected (a connection: its order column is then read). */
  cursor: boolean;
}

const EVERYTHING = null;
type Found = Set<string> | typeof EVERYTHING;

/** The fields of a selection set, through inline fragments and fragment spreads. */
export function fieldsOf(selectionSet: SelectionSetNode, info: GraphQLResolveInfo): FieldNode[] {
  const fields: FieldNode[] = [];
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(selectionSet);
  return fields;
}

/** What the selections of objects of `typeName` read; null when it cannot be told. */
function readsOf(typeName: string, nodes: FieldNode[], info: GraphQLResolveInfo): Found {
  const type = info.schema.getType(typeName);
  if (!isObjectType(type)) return EVERYTHING;
  const fields = type.getFields();
  const read = new Set<string>();
  for (const node of nodes) {
    if (!node.selectionSet) return EVERYTHING;
    for (const selected of fieldsOf(node.selectionSet, info)) {
      const name = selected.name.value;
      if (name === '__typename') continue;
      const field = fields[name];
      if (!field) return EVERYTHING;
      if (!field.resolve) {
        read.add(name);
        continue;
      }
      const declared = field.extensions?.reads;
      if (!Array.isArray(declared)) return EVERYTHING;
      for (const property of declared) read.add(String(property));
    }
  }
  return read;
}

const connections = new WeakMap<readonly FieldNode[], SelectedProperties | null>();
const objects = new WeakMap<readonly FieldNode[], SelectedProperties | null>();

/** The `node` fields (and whether a cursor is read) of a connection field's selections. */
export function connectionNodes(
  fields: readonly FieldNode[],
  info: GraphQLResolveInfo,
): { nodes: FieldNode[]; cursor: boolean; totalCount: boolean; known: boolean } {
  const nodes: FieldNode[] = [];
  let cursor = false;
  let totalCount = false;
  let known = true;
  for (const field of fields) {
    for (const selected of field.selectionSet ? fieldsOf(field.selectionSet, info) : []) {
      const name = selected.name.value;
      if (name === 'edges' && selected.selectionSet) {
        for (const edgeField of fieldsOf(selected.selectionSet, info)) {
          if (edgeField.name.value === 'node') nodes.push(edgeField);
          else if (edgeField.name.value === 'cursor') cursor = true;
          else if (edgeField.name.value !== '__typename') known = false;
        }
      } else if (name === 'pageInfo') {
        cursor = true; // its start and end cursors, whether selected or not
      } else if (name === 'totalCount') {
        totalCount = true;
      } else if (name !== '__typename') {
        known = false;
      }
    }
  }
  return { nodes, cursor, totalCount, known };
}

/** The object type of a connection's nodes, or null when the type is not a connection. */
export function connectionNodeType(type: unknown): GraphQLObjectType | null {
  const connection = getNamedType(type as never);
  if (!isObjectType(connection)) return null;
  const edge = getNamedType(connection.getFields().edges?.type);
  if (!isObjectType(edge)) return null;
  const node = getNamedType(edge.getFields().node?.type);
  return isObjectType(node) ? node : null;
}

/**
 * For a field returning a connection (`edges { cursor node }`, `pageInfo`, `totalCount`): what
 * its nodes' selections read. Worked out once per field of a parsed document.
 */
export function connectionNodeProperties(info: GraphQLResolveInfo): SelectedProperties | null {
  const cached = connections.get(info.fieldNodes);
  if (cached !== undefined) return cached;
  const nodeType = connectionNodeType(info.returnType);
  let found: SelectedProperties | null = null;
  if (nodeType) {
    const { nodes, cursor, known } = connectionNodes(info.fieldNodes, info);
    const read = known ? readsOf(nodeType.name, nodes, info) : EVERYTHING;
    found = read ? { properties: [...read].sort(), cursor } : null;
  }
  connections.set(info.fieldNodes, found);
  return found;
}

/** For a field returning one object (or a list of them): what its selection reads. */
export function objectProperties(info: GraphQLResolveInfo): SelectedProperties | null {
  const cached = objects.get(info.fieldNodes);
  if (cached !== undefined) return cached;
  const read = readsOf(getNamedType(info.returnType).name, [...info.fieldNodes], info);
  const found = read ? { properties: [...read].sort(), cursor: false } : null;
  objects.set(info.fieldNodes, found);
  return found;
}
