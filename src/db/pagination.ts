import { isUUID } from 'class-validator';
import type { EntityMetadata, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { preparedQuery } from './prepared';
import { pageStatement } from './page-statements';
import { hydrate } from './rows';
import { BadInputError } from '../errors/domain-error';

/** The largest page any list returns (DESIGN §5). */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface PageRequest {
  first: number;
  after?: string | null;
  /**
   * The properties the query reads of each node (`connectionNodeProperties`): only their columns
   * (with the id, organization and order column) are read. Whole rows when absent.
   */
  properties?: string[] | null;
  /**
   * Relations built by Postgres in the page's statement (context/embedded-relations.ts): more
   * select-list expressions, and what attaches their values to each node.
   */
  embed?: PageEmbedding | null;
}

export interface PageEmbedding {
  /**
   * Stands for the text `joins` writes (the same key, the same text): the page statement is
   * worked out once per key (`paginate`).
   */
  key: string;
  /**
   * One statement per relation reading it for every row of a page (`parents`: SQL selecting
   * their ids): its rows are `k`, a page row's id, and `json`, its value; `alias` names it.
   */
  joins(parents: string): Array<{ sql: string; alias: string }>;
  /** Their named parameters (`:name`). */
  parameters: Record<string, unknown>;
  /** Called with each node and its raw row, once the page is read. */
  attach(node: object, row: Record<string, unknown>): void;
}

export interface Page<T> {
  nodes: T[];
  /** May be computed on first read (`lazyCursors`): most list reads select no cursor. */
  readonly cursors: string[];
  hasNextPage: boolean;
  /** Counted only when a client asks for `totalCount`. */
  totalCount: () => Promise<number>;
}

/** Keyset order: one column (a property path of the alias) then the id, both one direction. */
export interface PageOrder {
  property: string;
  direction: 'ASC' | 'DESC';
}

type CursorValue = string | number;

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): CursorValue[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      return values as CursorValue[];
    }
  } catch {
    // fall through
  }
  throw new BadInputError(field, 'Not a cursor returned by this API');
}

/** The SQL type family of the column a list is ordered by, which a cursor's value must fit. */
export type CursorKind = 'text' | 'timestamp' | 'integer';

export function cursorKindOf(metadata: EntityMetadata, property: string): CursorKind {
  const type = metadata.findColumnWithPropertyPath(property)?.type;
  const name = typeof type === 'string' ? type : (type?.name ?? '');
  if (/timestamp|date/i.test(name)) return 'timestamp';
  if (/int|number|serial/i.test(name)) return 'integer';
  return 'text';
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function fitsKind(value: CursorValue | undefined, kind: CursorKind): boolean {
  switch (kind) {
    case 'timestamp':
      // As encodeCursor wrote it: what round-trips through Date, from year 1 on (Postgres has
      // no year 0, where JavaScript has), is a time Postgres reads too.
      return (
        typeof value === 'string' &&
        ISO_TIME.test(value) &&
        !value.startsWith('0000') &&
        new Date(value).toISOString() === value
      );
    case 'integer':
      return /^-?\d{1,18}$/.test(String(value));
    case 'text':
      return typeof value === 'string' && !value.includes('\u0000');
  }
}

/**
 * The position `[value, id]` a cursor names, checked against the column it orders by: a forged
 * or damaged cursor is BAD_USER_INPUT, never an SQL error.
 */
export function decodePosition(
  cursor: string,
  kind: CursorKind,
  field = 'after',
): [CursorValue, string] {
  const [value, id, ...rest] = decodeCursor(cursor, field);
  if (rest.length || typeof id !== 'string' || !isUUID(id) || !fitsKind(value, kind)) {
    throw new BadInputError(field, 'Not a cursor returned by this API');
  }
  return [value as CursorValue, id];
}

export function requirePageSize(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadInputError('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
}

/**
 * A page's cursors, encoded on first read: a nested page of conversations on each of 50
 * customers would otherwise encode ~250 cursors (JSON, then base64) that no one selected.
 */
export function lazyCursors<T>(
  nodes: T[],
  cursorOf: (node: T) => string,
): { readonly cursors: string[] } {
  let cursors: string[] | undefined;
  return {
    get cursors() {
      return (cursors ??= nodes.map(cursorOf));
    },
  };
}

const cursorValue = (value: unknown): CursorValue =>
  value instanceof Date ? value.toISOString() : (value as CursorValue);

type Row = Record<string, unknown>;

/** Runs one page of a query builder (its alias is the entity's) with keyset pagination. */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  request: PageRequest,
  order: PageOrder,
): Promise<Page<T>> {
  requirePageSize(request.first);
  const alias = query.alias;
  let cursor: Row | null = null;
  if (request.after) {
    const metadata = query.expressionMap.mainAlias?.metadata;
    const kind = metadata ? cursorKindOf(metadata, order.property) : 'text';
    const [value, id] = decodePosition(request.after, kind);
    cursor = { cursorValue: value, cursorId: id };
  }
  const { statement, parameters } = pageStatement(query, request, order, cursor);
  const embedParameters = request.embed?.parameters;
  const values = statement.sources.map((source) =>
    source.from === 'limit'
      ? request.first + 1
      : source.from === 'query'
        ? parameters[source.name]
        : embedParameters?.[source.name],
  );
  const raw = await preparedQuery(query.connection, statement.text, values);
  const embed = statement.embedded ? request.embed : null;
  const target = query.expressionMap.mainAlias?.target as EntityTarget<T>;
  const rows = raw.map((row) => hydrate(query.connection, target, row, alias));
  const nodes = rows.slice(0, request.first);
  if (embed) for (let i = 0; i < nodes.length; i++) embed.attach(nodes[i] as T, raw[i] as Row);
  return Object.assign(
    lazyCursors(nodes, (node) => encodeCursor([cursorValue(node[order.property]), node.id])),
    {
      nodes,
      hasNextPage: rows.length > request.first,
      // Cloned when asked: the builder was never changed by the page.
      totalCount: () => query.clone().getCount(),
    },
  );
}
