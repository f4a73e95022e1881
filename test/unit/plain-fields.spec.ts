import { isObjectType } from 'graphql';
import { getSchema } from '../../src/schema/build-schema';

/**
 * Issue 20: plain property fields carry no type-graphql resolver (src/schema/plain-fields.ts
 * recognizes type-graphql's basic resolver by its text: this fails loudly if an upgrade changes it).
 */
describe('plain fields: no per-field wrapper where a field only reads a property (issue 20)', () => {
  it('leaves plain property fields without a resolver and keeps every resolver method', async () => {
    const schema = await getSchema();
    const field = (type: string, name: string) => {
      const object = schema.getType(type);
      if (!isObjectType(object)) throw new Error(`${type} is not an object type`);
      const found = object.getFields()[name];
      if (!found) throw new Error(`${type}.${name} is not in the schema`);
      return found;
    };
    // Properties of entities (their own and their base class's), connections and edges.
    expect(field('Customer', 'name').resolve).toBeUndefined();
    expect(field('Customer', 'id').resolve).toBeUndefined();
    expect(field('Contact', 'value').resolve).toBeUndefined();
    expect(field('Staff', 'name').resolve).toBeUndefined();
    expect(field('CustomerConnection', 'edges').resolve).toBeUndefined();
    expect(field('CustomerEdge', 'node').resolve).toBeUndefined();
    // Resolver methods (loaders, rules, root fields with @Authorized) keep theirs.
    expect(field('Customer', 'contacts').resolve).toBeDefined();
    expect(field('Customer', 'conversations').resolve).toBeDefined();
    expect(field('Conversation', 'assignee').resolve).toBeDefined();
    expect(field('Query', 'customers').resolve).toBeDefined();
    // A property that holds a promise (counted only when selected) keeps a resolver to await it.
    expect(field('CustomerConnection', 'totalCount').resolve).toBeDefined();

    // Most of the schema's object fields are plain: a changed type-graphql would make none.
    const fields = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .flatMap((type) => (isObjectType(type) ? Object.values(type.getFields()) : []));
    const plain = fields.filter((f) => f.resolve === undefined).length;
    expect(plain).toBeGreaterThan(fields.length / 2);
  });
});
