import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/** Turns a raw row (snake_case columns, as pg returns them) into an entity instance. */
export function hydrate<T extends ObjectLiteral>(
  dataSource: DataSource,
  target: EntityTarget<T>,
  row: Record<string, unknown>,
): T {
  const metadata = dataSource.getMetadata(target);
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    if (column.databaseName in row)
      (entity as Record<string, unknown>)[column.propertyName] = row[column.databaseName];
  }
  return entity;
}
