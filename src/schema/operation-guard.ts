import {
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Auth } from '../context/auth';
import { ErrorCode } from '../errors/domain-error';

function rootFieldNames(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT)
      return rootFieldNames(selection.selectionSet, fragments, seen);
    const name = selection.name.value;
    const fragment = fragments[name];
    if (!fragment || seen.has(name)) return [];
    seen.add(name);
    return rootFieldNames(fragment.selectionSet, fragments, seen);
  });
}

/**
 * Deny by default, before anything runs: without a caller, an operation may select only root
 * fields marked `@Public()` (and introspection). A new operation is never open by accident.
 */
export function requireCallerFor(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  auth: Auth | null,
): void {
  if (auth) return;
  const root = schema.getRootType(operation.operation);
  const fields = root?.getFields() ?? {};
  for (const name of rootFieldNames(operation.selectionSet, fragments)) {
    if (name.startsWith('__')) continue;
    if (!fields[name]?.extensions?.public) {
      throw new GraphQLError('Sign in first: send a valid bearer token', {
        extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
      });
    }
  }
}
