import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { admitShape } from './column-shapes';
import type { PageEmbedding, PageOrder, PageRequest } from './pagination';

/**
 * The statement of a list's page (`paginate`): the builder's page as TypeORM writes it, with the
 * columns the query reads and the relations Postgres builds as JSON (embedded-relations.ts),
 * worked out once per shape.
 */

/**
 * `alias.property` of each property read, its id, organization and order column; null (whole
 * rows) when one is not a column or the subset is one too many (db/column-shapes.ts).
 */
function selectedPaths<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  order: PageOrder,
  properties: string[] | null | undefined,
): string[] | null {
  const metadata = query.expressionMap.mainAlias?.metadata;
  if (!properties || !metadata) return null;
  const read = new Set(['id', order.property, ...properties]);
  if (metadata.findColumnWithPropertyPath('organizationId')) read.add('organizationId');
  for (const property of read) if (!metadata.findColumnWithPropertyPath(property)) return null;
  const sorted = [...read].sort();
  if (!admitShape(`page:${metadata.tableName}:${sorted.join(',')}`)) return null;
  return sorted.map((property) => `${query.alias}.${property}`);
}

type Row = Record<string, unknown>;

/** Where one positional value (`$n`) of a page statement comes from. */
type ValueSource =
  { from: 'query'; name: string } | { from: 'embed'; name: string } | { from: 'limit' };

/** A page statement's text, worked out once per shape, and where each of its values comes from. */
interface PageStatement {
  text: string;
  sources: ValueSource[];
  /** Whether the embedding's relations are in it (else its fields use their loaders). */
  embedded: boolean;
}

/**
 * Page statements by shape (`builderShape`, the order, the cursor, the columns, the embedding): TypeORM wrote the text of every page anew (clones,
 * property names replaced, parameters renumbered: ~5% of a list request's CPU, bench/RESULTS.md
 * foundation), though a list has a handful of shapes; the values are the request's. Past
 * MAX_STATEMENTS shapes, pages are written per request again.
 */
const statements = new Map<string, PageStatement>();
const MAX_STATEMENTS = 500;

/**
 * What decides the text TypeORM writes for this builder, as a key; null when the builder uses
 * anything this does not account for (its pages are then written per request, as before). Only
 * the parts our list services use: one entity with WHERE conditions written as text (values as
 * named parameters, never spelled into the text) and inner or left joins of entities on a text
 * condition, without selecting them.
 */
export function builderShape<T extends ObjectLiteral>(query: SelectQueryBuilder<T>): string | null {
  const map = query.expressionMap;
  const metadata = map.mainAlias?.hasMetadata ? map.mainAlias.metadata : undefined;
  if (
    !metadata ||
    map.queryType !== 'select' ||
    map.subQuery ||
    map.selects.length !== 1 ||
    map.selects[0]?.selection !== query.alias ||
    map.selects[0]?.aliasName !== undefined ||
    map.selectDistinct ||
    map.selectDistinctOn.length ||
    map.relationIdAttributes.length ||
    map.havings.length ||
    map.groupBys.length ||
    Object.keys(map.orderBys).length ||
    map.commonTableExpressions.length ||
    map.limit !== undefined ||
    map.offset !== undefined ||
    map.skip !== undefined ||
    map.take !== undefined ||
    map.lockMode !== undefined ||
    map.comment !== undefined ||
    map.extraAppendedAndWhereCondition ||
    map.maxExecutionTime ||
    !map.disableEscaping ||
    !map.aliasNamePrefixingEnabled ||
    metadata.discriminatorColumn
  )
    return null;
  for (const value of Object.values(map.parameters))
    if (typeof value === 'function' || Array.isArray(value)) return null; // spelled into the text
  const parts = [metadata.tableName, query.alias, map.withDeleted ? 'deleted' : ''];
  for (const where of map.wheres) {
    if (typeof where.condition !== 'string') return null;
    parts.push(`${where.type}:${where.condition}`);
  }
  for (const join of map.joinAttributes) {
    if (
      typeof join.entityOrProperty !== 'function' ||
      join.relation ||
      join.alias.subQuery ||
      !join.alias.hasMetadata ||
      join.isSelected ||
      join.mapToProperty ||
      (join.direction !== 'INNER' && join.direction !== 'LEFT')
    )
      return null;
    parts.push(
      `${join.direction} JOIN ${join.alias.metadata.tableName} ${join.alias.name} ON ${join.condition ?? ''}`,
    );
  }
  return parts.join('\u0000');
}

/** A marker standing for a named parameter, to learn the position TypeORM gives it. */
class Named {
  constructor(readonly name: string) {}
}

/**
 * The text TypeORM writes for `page` with its positional parameters, and the name of the
 * parameter each position holds (null when one is not a plain named value).
 */
function positionalText<T extends ObjectLiteral>(
  page: SelectQueryBuilder<T>,
): { sql: string; names: string[] } | null {
  const markers: Record<string, Named> = {};
  for (const name of Object.keys(page.getParameters())) markers[name] = new Named(name);
  const [sql, values] = page.connection.driver.escapeQueryWithParameters(page.getQuery(), markers);
  const names: string[] = [];
  for (const value of values) {
    if (!(value instanceof Named)) return null;
    names.push(value.name);
  }
  return { sql, names };
}

/**
 * A page statement with its embedded relations (context/embedded-relations.ts): the page, as
 * TypeORM wrote it, becomes a CTE; each relation is read for all its rows at once (`k`, the
 * page row's id, and `json`) and joined to it, in the page's order. Null (the page alone) when
 * there is none or the statement would be one shape too many (db/column-shapes.ts: each is a
 * prepared text). Named parameters (`:name`) of the relations become positional ones after
 * the page's.
 */
function embeddedStatement(
  embed: PageEmbedding | null | undefined,
  alias: string,
  orderColumn: string,
  direction: 'ASC' | 'DESC',
  pageSql: string,
  pageSources: ValueSource[],
): PageStatement | null {
  if (!embed) return null;
  const key = `page."${alias}_id"`;
  const joins = embed.joins(`SELECT "${alias}_id" FROM page`);
  if (!joins.length) return null;
  const positions = new Map<string, string>();
  const sources = [...pageSources];
  const positional = (sql: string) =>
    sql.replace(/(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g, (match, name: string) => {
      if (!(name in embed.parameters)) return match;
      let position = positions.get(name);
      if (!position) {
        sources.push({ from: 'embed', name });
        positions.set(name, (position = `$${sources.length}`));
      }
      return position;
    });
  const text =
    `WITH page AS MATERIALIZED (${pageSql}) SELECT page.*, ` +
    joins.map((join, i) => `r${i}.json AS "${join.alias}"`).join(', ') +
    ' FROM page ' +
    joins
      .map((join, i) => `LEFT JOIN (${positional(join.sql)}) r${i} ON r${i}.k = ${key}`)
      .join(' ') +
    ` ORDER BY page."${alias}_${orderColumn}" ${direction}, ${key} ${direction}`;
  if (!admitShape(`embed:${text}`)) return null;
  return { text, sources, embedded: true };
}

/** The page statement of this request's shape, written by TypeORM (and remembered when it can). */
export function pageStatement<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  request: PageRequest,
  order: PageOrder,
  cursor: Row | null,
): { statement: PageStatement; parameters: Row } {
  const shape = builderShape(query);
  const key =
    shape === null
      ? null
      : [
          shape,
          order.property,
          order.direction,
          cursor ? 'after' : '',
          request.properties?.join(',') ?? '*',
          request.embed?.key ?? '',
        ].join('\u0001');
  const known = key === null ? undefined : statements.get(key);
  if (known)
    return {
      statement: known,
      parameters: cursor
        ? { ...query.expressionMap.parameters, ...cursor }
        : query.expressionMap.parameters,
    };
  const alias = query.alias;
  const page = query.clone();
  if (cursor) {
    const comparison = order.direction === 'ASC' ? '>' : '<';
    page.andWhere(
      `(${alias}.${order.property}, ${alias}.id) ${comparison} (:cursorValue, :cursorId)`,
      cursor,
    );
  }
  const selected = selectedPaths(query, order, request.properties);
  if (selected) page.select(selected);
  page
    .orderBy(`${alias}.${order.property}`, order.direction)
    .addOrderBy(`${alias}.id`, order.direction);
  const parameters = page.getParameters();
  const written = key === null ? null : positionalText(page);
  let sql: string;
  let sources: ValueSource[];
  if (written) {
    sql = written.sql;
    sources = written.names.map((name) => ({ from: 'query', name }));
  } else {
    // Not remembered: the values in order, as sources naming them by position.
    const [text, values] = page.getQueryAndParameters();
    sql = text;
    sources = values.map((_, i) => ({ from: 'query', name: `\u0000${i}` }));
    values.forEach((value, i) => (parameters[`\u0000${i}`] = value));
  }
  // The limit as a parameter, so that every page size shares one prepared statement.
  const pageSql = `${sql} LIMIT $${sources.length + 1}`;
  const pageSources: ValueSource[] = [...sources, { from: 'limit' }];
  const metadata = query.expressionMap.mainAlias?.metadata;
  const orderColumn = metadata?.findColumnWithPropertyPath(order.property)?.databaseName;
  const statement = (orderColumn
    ? embeddedStatement(request.embed, alias, orderColumn, order.direction, pageSql, pageSources)
    : null) ?? { text: pageSql, sources: pageSources, embedded: false };
  if (written && key !== null && statements.size < MAX_STATEMENTS) statements.set(key, statement);
  return { statement, parameters };
}
