import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';

/** Column name (with an optional alias prefix) to property name, per entity: built once. */
const columnMaps = new WeakMap<EntityMetadata, Map<string, Array<[string, string]>>>();

function columnsOf(metadata: EntityMetadata, prefix: string): Array<[string, string]> {
  let byPrefix = columnMaps.get(metadata);
  if (!byPrefix) columnMaps.set(metadata, (byPrefix = new Map()));
  let columns = byPrefix.get(prefix);
  if (!columns) {
    columns = metadata.columns.map((column) => {
      // A transformed column would need TypeORM's conversion, which this skips: none has one.
      if (column.transformer)
        throw new Error(
          `${metadata.name}.${column.propertyName}: hydrate reads plain columns only`,
        );
      return [`${prefix}${column.databaseName}`, column.propertyName];
    });
    byPrefix.set(prefix, columns);
  }
  return columns;
}

/**
 * An empty entity as `EntityMetadata.create` makes it: `new` of its class, then its lazy
 * relations set up and its type name set when configured (neither for ours: skipped).
 */
export function newEntity(metadata: EntityMetadata): object {
  const Target = metadata.target;
  return typeof Target === 'function' &&
    !metadata.lazyRelations.length &&
    !metadata.dataSource.options.typename
    ? new (Target as new () => object)()
    : metadata.create();
}

/**
 * Turns a raw row (snake_case columns, as pg returns them, optionally prefixed `alias_` as a
 * query builder's raw results are) into an entity instance. Much cheaper than TypeORM's own
 * hydration, which the hot list paths cannot afford (bench/RESULTS.md, foundation); kept here by
 * choice, not as a reach into TypeORM: it uses only its public metadata (`EntityMetadata.create`,
 * each column's `databaseName` and `propertyName`), and the values as pg parsed them, which is
 * what TypeORM itself would keep for the plain columns our entities have (no transformer, no
 * embedded columns: the first is refused above; relations are loaded by the loaders).
 */
export function hydrate<T extends ObjectLiteral>(
  dataSource: DataSource,
  target: EntityTarget<T>,
  row: Record<string, unknown>,
  alias?: string,
): T {
  const metadata = dataSource.getMetadata(target);
  const entity = newEntity(metadata) as Record<string, unknown>;
  for (const [column, property] of columnsOf(metadata, alias ? `${alias}_` : '')) {
    if (column in row) entity[property] = row[column];
  }
  return entity as T;
}

/**
 * The select list of an entity's columns under `alias`, each named `alias_column`, for a
 * statement that reads several entities at once and `hydrate`s each with its alias.
 */
export function aliasedColumns<T extends ObjectLiteral>(
  dataSource: DataSource,
  target: EntityTarget<T>,
  alias: string,
): string {
  return columnsOf(dataSource.getMetadata(target), `${alias}_`)
    .map(([column]) => `${alias}.${column.slice(alias.length + 1)} AS ${column}`)
    .join(', ');
}
