import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { preparedQuery } from './prepared';

/**
 * Writes changed properties of an entity this transaction has loaded (and locked) in one
 * `UPDATE ... RETURNING`, refreshing its update date, and applies them to the entity. TypeORM's
 * `save` reads the row again first to work out what changed: a statement, and most of the ORM
 * time of a hot write such as a close.
 */
export async function writeChanges<T extends ObjectLiteral & { id: string }>(
  manager: EntityManager,
  target: EntityTarget<T>,
  entity: T,
  changes: Partial<T>,
): Promise<T> {
  const metadata = manager.connection.getMetadata(target);
  const values: unknown[] = [entity.id];
  const assignments = Object.entries(changes).map(([property, value]) => {
    const column = metadata.findColumnWithPropertyName(property);
    // A transformed column would need TypeORM's own conversion: keep those on `save`.
    if (!column || column.transformer)
      throw new Error(`${metadata.name}.${property}: not a plain column`);
    values.push(value);
    return `"${column.databaseName}" = $${values.length}`;
  });
  const updated = metadata.updateDateColumn;
  if (updated) assignments.push(`"${updated.databaseName}" = now()`);
  const [row] = await preparedQuery<Record<string, unknown>>(
    manager,
    `UPDATE "${metadata.tableName}" SET ${assignments.join(', ')} WHERE id = $1` +
      (updated ? ` RETURNING "${updated.databaseName}" AS updated` : ''),
    values,
  );
  Object.assign(entity, changes);
  if (updated && row) (entity as Record<string, unknown>)[updated.propertyName] = row.updated;
  return entity;
}
