import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';
import 'reflect-metadata';
import { getMetadataStorage, type ResolverData } from 'type-graphql';
import type { Context } from '../context/context';
import { isKnownValid, validateArguments } from './validate-arguments';

type Storage = ReturnType<typeof getMetadataStorage>;
type FieldResolverMetadata = Storage['fieldResolvers'][number];
type ParamMetadata = NonNullable<FieldResolverMetadata['params']>[number];
type ArgsParam = Extract<ParamMetadata, { kind: 'args' }>;
type Resolver = GraphQLFieldResolver<unknown, Context>;

/**
 * What one parameter of a resolver method is made of, for a call; `AS_TYPE_GRAPHQL` when this
 * call is one only type-graphql can make (its resolver is called instead).
 */
type Param = (
  root: unknown,
  args: Record<string, unknown>,
  context: Context,
  info: unknown,
) => unknown;
const AS_TYPE_GRAPHQL = Symbol('as type-graphql');

/** The fields of an `@ArgsType` class and of the classes it extends, as type-graphql reads them. */
function argsFieldsOf(
  storage: Storage,
  argsClass: Function,
): Array<{ name: string; type: unknown }> | null {
  const fields: Array<{ name: string; type: unknown }> = [];
  for (let at: unknown = argsClass; typeof at === 'function' && at.prototype !== undefined;) {
    const declared = storage.argumentTypes.find((type) => type.target === at);
    if (declared)
      for (const field of declared.fields ?? [])
        fields.push({ name: field.name, type: field.getType() });
    else if (at === argsClass) return null;
    at = Object.getPrototypeOf(at);
  }
  return fields;
}

/**
 * type-graphql's conversion of an `@Args()` object (`convertArgsToInstance`) when every field is
 * a scalar or an enum: an instance of the class with the values given, in the class's field
 * order. Arguments with input objects (filters) are left to type-graphql: null.
 */
function scalarArgs(storage: Storage, param: ArgsParam): Param | null {
  const argsClass = param.getType() as new () => Record<string, unknown>;
  const fields = argsFieldsOf(storage, argsClass);
  if (!fields) return null;
  const isInput = (type: unknown) => storage.inputTypes.some((input) => input.target === type);
  if (fields.some((field) => isInput(field.type))) return null;
  const names = new Set(fields.map((field) => field.name));
  return (_root, args) => {
    const instance = new argsClass();
    // As type-graphql's convertToType: a property the class sets to undefined and that was not
    // sent is not there at all. Scalar and enum values are kept as they are, as it keeps them.
    for (const key of Object.keys(instance))
      if (instance[key] === undefined && !(names.has(key) && args[key] !== undefined))
        delete instance[key];
    for (const field of fields) {
      const value = args[field.name];
      if (value !== undefined) instance[field.name] = value;
    }
    return instance;
  };
}

/** A parameter as type-graphql's `getParams` makes it, or null where only type-graphql can. */
function paramOf(storage: Storage, param: ParamMetadata): Param | null {
  switch (param.kind) {
    case 'root': {
      const { propertyName } = param;
      const valueOf = propertyName
        ? (root: unknown) => (root as Record<string, unknown>)[propertyName]
        : (root: unknown) => root;
      const type = param.getType?.();
      if (typeof type !== 'function') return valueOf;
      // type-graphql converts the root to the declared class (convertToType): an entity already
      // is one; anything else goes through type-graphql's conversion.
      return (root) => {
        const value = valueOf(root);
        return value == null || value instanceof type ? value : AS_TYPE_GRAPHQL;
      };
    }
    case 'context':
      return param.propertyName
        ? (_root, _args, context) =>
            (context as unknown as Record<string, unknown>)[param.propertyName as string]
        : (_root, _args, context) => context;
    case 'info':
      return (_root, _args, _context, info) => info;
    case 'custom':
      if (param.options.arg) return null;
      return (root, args, context, info) =>
        param.resolver({ root, args, context, info } as ResolverData<Context>);
    case 'args':
      return param.validateFn ? null : scalarArgs(storage, param);
    default:
      return null;
  }
}

/**
 * A field resolver method called directly: its parameters made as type-graphql makes them, with
 * none of its per-call machinery (a resolver data object, the middleware dispatcher, sorting the
 * parameters, a promise for every argument validation). Arguments are still validated by
 * `validateArguments`, synchronously skipped when the same value was already found valid (a
 * nested `conversations(first: 3)` on each of 50 customers); a value not seen yet is validated
 * first, and the method called after, as type-graphql does.
 */
function directResolver(
  storage: Storage,
  metadata: FieldResolverMetadata,
  original: Resolver,
): Resolver | null {
  const params = [...(metadata.params ?? [])].sort((a, b) => a.index - b.index);
  if (params.some((param, index) => param.index !== index)) return null;
  const made = params.map((param) => paramOf(storage, param));
  if (made.some((param) => param === null)) return null;
  const makers = made as Param[];
  const validated = params.flatMap((param, index) =>
    param.kind === 'args' ? [{ index, param }] : [],
  );
  const target = metadata.target;
  const method = (target.prototype as Record<string, unknown>)[metadata.methodName];
  if (typeof method !== 'function') return null;
  return (root, args, context, info) => {
    // The container buildSchema was given reads the context's; ours ignores the resolver data.
    const instance = (context.container as { get(type: Function): unknown }).get(target);
    const values = new Array<unknown>(makers.length);
    for (let i = 0; i < makers.length; i++) {
      const value = (makers[i] as Param)(root, args, context, info);
      if (value === AS_TYPE_GRAPHQL) return original(root, args, context, info);
      values[i] = value;
    }
    let pending: Promise<void>[] | undefined;
    for (const { index, param } of validated) {
      const value = values[index];
      if (isKnownValid(value)) continue;
      (pending ??= []).push(
        validateArguments(value, param.getType(), { root, args, context, info } as ResolverData),
      );
    }
    if (pending) return Promise.all(pending).then(() => method.apply(instance, values));
    return method.apply(instance, values);
  };
}

const directResolvers = new WeakSet<Function>();

/** For tests: whether a field's resolver is a direct call. */
export const isDirect = (resolve: unknown): boolean =>
  typeof resolve === 'function' && directResolvers.has(resolve);

/**
 * Replaces type-graphql's resolver of every field resolver method (`@FieldResolver` of a
 * `@Resolver` class) that has no `@Authorized` and no middleware with a direct call (above): a
 * page of 50 customers calls `contacts`, `conversations` and 150 `assignee`s per request.
 * The method is found as type-graphql found it when it built the field (same object type, same
 * method name, among `resolvers`); anything it cannot make the same way (input object
 * arguments, a parameter of another kind, a custom validator) keeps type-graphql's resolver.
 * Answers how many fields were made direct.
 */
export function callFieldResolversDirectly(
  schema: GraphQLSchema,
  resolvers: readonly Function[],
): number {
  const storage = getMetadataStorage();
  const candidates = storage.fieldResolvers.filter(
    (resolver) => resolver.kind === 'external' && resolvers.includes(resolver.target),
  );
  // The last declaration of each name is the one built (see plain-fields.ts).
  const objectTypes = new Map(storage.objectTypes.map((type) => [type.name, type]));
  let direct = 0;
  for (const objectType of objectTypes.values()) {
    const graphqlType = schema.getType(objectType.name);
    if (!isObjectType(graphqlType)) continue;
    for (const [name, field] of Object.entries(graphqlType.getFields())) {
      if (!field.resolve) continue;
      const found = candidates.filter(
        (candidate) =>
          candidate.schemaName === name && candidate.getObjectType?.() === objectType.target,
      );
      if (found.length !== 1) continue;
      const metadata = found[0] as FieldResolverMetadata;
      if (metadata.roles !== undefined || (metadata.middlewares?.length ?? 0) > 0) continue;
      const resolver = directResolver(storage, metadata, field.resolve as Resolver);
      if (!resolver) continue;
      directResolvers.add(resolver);
      field.resolve = resolver as GraphQLFieldResolver<unknown, unknown>;
      direct++;
    }
  }
  return direct;
}
