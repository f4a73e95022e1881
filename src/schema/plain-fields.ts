import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';
import 'reflect-metadata';
import { getMetadataStorage } from 'type-graphql';

type FieldMetadata = ReturnType<typeof getMetadataStorage>['fields'][number];

/** A class and the classes it extends (an entity's fields are partly its base class's). */
function classChain(target: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let at = target; typeof at === 'function' && at !== Function.prototype;)
    at = Object.getPrototypeOf(chain[chain.push(at) - 1]);
  return chain;
}

/**
 * type-graphql's resolver for a field without a resolver method (`createBasicFieldResolver`):
 * it runs the field's middlewares, then reads `root[propertyName]`. Recognized by its text, the
 * one reach into type-graphql's internals here; `test/unit/plain-fields.spec.ts` fails if an
 * upgrade changes it (no field would be made plain).
 */
const isBasicResolver = (resolve: GraphQLFieldResolver<unknown, unknown>) =>
  resolve.toString().includes('root[fieldMetadata.name]');

/**
 * Removes type-graphql's resolver from every field that only reads a property of its object: a
 * basic resolver (no resolver method) with no `@Authorized`, no middleware, and the property
 * named as the field. Such a field then costs what a field of a plain object costs (graphql-js's
 * default resolver reads the same property; a compiled query reads it inline), instead of a
 * closure allocating its resolver data per field per row: a page of 50 customers with contacts
 * and conversations reads ~900 of them. Every field that runs a rule keeps its resolver. Answers
 * how many fields were made plain.
 */
export function dropPlainFieldResolvers(schema: GraphQLSchema): number {
  const storage = getMetadataStorage();
  let dropped = 0;
  // The last declaration of each name is the one built: a process that loads the classes again
  // (a test runner's fresh module registry) keeps the earlier ones in the shared storage.
  const objectTypes = new Map(storage.objectTypes.map((type) => [type.name, type]));
  for (const objectType of objectTypes.values()) {
    const graphqlType = schema.getType(objectType.name);
    if (!isObjectType(graphqlType)) continue;
    // The type's fields are declared on it, the classes it extends and its interfaces.
    const targets = new Set(classChain(objectType.target));
    for (const implemented of objectType.interfaceClasses ?? [])
      for (const target of classChain(implemented)) targets.add(target);
    const declarations = storage.fields.filter((field) => targets.has(field.target));
    for (const [name, field] of Object.entries(graphqlType.getFields())) {
      if (!field.resolve || !isBasicResolver(field.resolve)) continue;
      const declared = declarations.filter((candidate) => candidate.schemaName === name);
      // Declared twice (an override): which declaration won is not ours to guess; left alone.
      if (declared.length !== 1 || !isPlain(declared[0] as FieldMetadata)) continue;
      field.resolve = undefined;
      dropped++;
    }
  }
  return dropped;
}

function isPlain(field: FieldMetadata): boolean {
  return (
    field.name === field.schemaName &&
    field.roles === undefined &&
    (field.middlewares?.length ?? 0) === 0 &&
    !holdsPromise(field)
  );
}

/**
 * A property declared as a promise (a connection's `totalCount`, counted only when selected)
 * keeps a resolver: a compiled query reads a plain field's value as it is, and only a
 * resolver's result is awaited.
 */
function holdsPromise(field: FieldMetadata): boolean {
  const prototype = (field.target as { prototype?: object }).prototype;
  const type = Reflect.getMetadata('design:type', prototype ?? {}, field.name) as unknown;
  // By name: classes loaded in another realm (a test runner's) have another Promise.
  return !prototype || type === Promise || (typeof type === 'function' && type.name === 'Promise');
}
