import type { DataSource, EntityMetadata, EntityTarget } from 'typeorm';
import type { AccessPolicy } from '../authz/access-policy';
import { encodeCursor, lazyCursors, type Page, type PageEmbedding } from '../db/pagination';
import { parseTimestamptz } from '../db/pg-types';
import { Contact } from '../entities/contact.entity';
import { Conversation } from '../entities/conversation.entity';
import { Customer } from '../entities/customer.entity';
import { HelperAssignment } from '../entities/helper-assignment.entity';
import { Staff } from '../entities/staff.entity';
import type { EmbeddedSelection, NestedSelection } from '../schema/nested-selection';
import { activeHelper } from '../services/helper/helper.store';
import type { Auth } from './auth';

/**
 * Relations built as JSON by Postgres in the statement of the page they hang from (issue 20,
 * the way PostGraphile answers a nested query): a page of 50 customers with their contacts,
 * three conversations each and their assignees is one statement, whose rows carry each
 * customer's relations as one JSON value, instead of one statement per relation (the loaders)
 * and a row per object to parse. Each relation here reads the same rows, in the same order, with
 * the same rules as its loader (`Loaders`): the visibility of conversations is the one function
 * of access.sql (`AccessPolicy.visibleConversations`), a helper in force is `activeHelper`. The
 * objects are arrays of the properties the query reads (`nested-selection.ts`), in a fixed
 * order, each read back into an entity as the loaders make them (timestamps as Postgres writes
 * them as text, through pg's parser; 64-bit numbers as text, as pg gives them).
 *
 * A field resolver takes its relation from its parent with `embeddedRelation`, and falls back
 * to its loader when the parent did not come with it.
 */

const EMBEDDED = Symbol('embedded relations');

interface Embedded {
  args: Record<string, unknown>;
  value: unknown;
}
type WithEmbedded = { [EMBEDDED]?: Record<string, Embedded> };

/** A page of a relation, as the loaders give one. */
export type EmbeddedPage<T> = Page<T>;

function sameArgs(embedded: Record<string, unknown>, asked: object): boolean {
  const given = asked as Record<string, unknown>;
  for (const key of Object.keys(embedded))
    if ((embedded[key] ?? null) !== (given[key] ?? null)) return false;
  for (const key of Object.keys(given))
    if ((embedded[key] ?? null) !== (given[key] ?? null)) return false;
  return true;
}

/**
 * The relation `name` of `parent` as its page's statement built it, when it did (and, with
 * `args`, with the same arguments); undefined when the resolver must use its loader.
 */
export function embeddedRelation<T>(parent: object, name: string, args?: object): T | undefined {
  const found = (parent as WithEmbedded)[EMBEDDED]?.[name];
  if (!found || (args && !sameArgs(found.args, args))) return undefined;
  return found.value as T;
}

function attach(entity: object, name: string, args: Record<string, unknown>, value: unknown) {
  const holder = entity as WithEmbedded;
  (holder[EMBEDDED] ??= {})[name] = { args, value };
}

/** What a relation's SQL is made of. */
interface RelationSql {
  /**
   * Of a relation read with its parent row (`sql`): the parent row's alias. Of a relation read
   * for a whole page at once (`set`): SQL selecting the ids of its rows.
   */
  parent: string;
  /** This relation's alias. */
  alias: string;
  /** One object of it (a JSON array), from its alias. */
  object: string;
  /** Its columns a page selects from its source before building the objects. */
  columns: string[];
  args: Record<string, unknown>;
  /** A named parameter's placeholder. */
  param(value: unknown): string;
  /** The caller's organization's placeholder. */
  org: string;
  /** The conversations the caller sees, as a FROM item (access.sql). */
  visibleConversations: string;
}

interface RelationSpec {
  target: EntityTarget<object>;
  shape: 'list' | 'one' | 'page';
  /** A page's order property (its cursors) and its argument check; pages only. */
  page?: { orderProperty: string; argsFit(args: Record<string, unknown>): boolean };
  /** Its value (JSON) for one parent row: a relation nested in another's objects. */
  sql?(parts: RelationSql): string;
  /**
   * Its values for every row of a page at once, as rows `k` (a page row's id) and `json`: one
   * scan for the page, where a subquery per row would scan once per row.
   */
  set?(parts: RelationSql): string;
}

const isPageSize = (first: unknown) =>
  typeof first === 'number' && Number.isInteger(first) && first >= 1 && first <= 100;

/** By parent entity and relation name: the loader each one stands for is named beside it. */
const RELATIONS = new Map<Function, Record<string, RelationSpec>>([
  [
    Customer,
    {
      // Loaders.contactsOfCustomer
      contacts: {
        target: Contact,
        shape: 'list',
        set: ({ parent, alias: x, object, org }) =>
          `SELECT ${x}.customer_id AS k, json_agg(${object} ORDER BY ${x}.created_at, ${x}.id) AS json
             FROM contact ${x} WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
            GROUP BY ${x}.customer_id`,
      },
      // Loaders.conversationsOfCustomer
      conversations: {
        target: Conversation,
        shape: 'page',
        page: {
          orderProperty: 'createdAt',
          // A cursor to start after: the loader's (it checks it).
          argsFit: ({ first, after }) => isPageSize(first) && after == null,
        },
        set: ({ parent, alias: x, object, columns, args, param, org, visibleConversations }) =>
          `SELECT ${x}.customer_id AS k,
                  json_agg(${object} ORDER BY ${x}.created_at DESC, ${x}.id DESC) AS json FROM (
              SELECT ${[...new Set([...columns, 'customer_id'])].map((column) => `${x}.${column}`).join(', ')},
                     row_number() OVER (PARTITION BY ${x}.customer_id
                                        ORDER BY ${x}.created_at DESC, ${x}.id DESC) AS rn
                FROM ${visibleConversations} ${x}
               WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
                 ${args.status ? `AND ${x}.status = ${param(args.status)}` : ''}
            ) ${x}
            WHERE ${x}.rn <= ${param((args.first as number) + 1)}
            GROUP BY ${x}.customer_id`,
      },
      // Loaders.lastConversationOfCustomer
      lastConversation: {
        target: Conversation,
        shape: 'one',
        set: ({ parent, alias: x, object, org, visibleConversations }) =>
          `SELECT DISTINCT ON (${x}.customer_id) ${x}.customer_id AS k, ${object} AS json
             FROM ${visibleConversations} ${x}
            WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
            ORDER BY ${x}.customer_id, ${x}.created_at DESC, ${x}.id DESC`,
      },
      // Loaders.helpersOfCustomer
      helpers: {
        target: HelperAssignment,
        shape: 'list',
        set: ({ parent, alias: x, object, org }) =>
          `SELECT ${x}.customer_id AS k, json_agg(${object} ORDER BY ${x}.assigned_at, ${x}.id) AS json
             FROM helper_assignment ${x}
            WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
              AND ${activeHelper(x)}
            GROUP BY ${x}.customer_id`,
      },
    },
  ],
  [
    Conversation,
    {
      // Loaders.staff, by the conversation's assignee_id
      assignee: {
        target: Staff,
        shape: 'one',
        sql: ({ parent, alias: x, object, org }) =>
          `(SELECT ${object} FROM staff ${x} WHERE ${x}.id = ${parent}.assignee_id AND ${x}.organization_id = ${org})`,
      },
    },
  ],
  [
    HelperAssignment,
    {
      // Loaders.staff, by the assignment's staff_id
      staff: {
        target: Staff,
        shape: 'one',
        sql: ({ parent, alias: x, object, org }) =>
          `(SELECT ${object} FROM staff ${x} WHERE ${x}.id = ${parent}.staff_id AND ${x}.organization_id = ${org})`,
      },
    },
  ],
]);

/** Column types whose JSON value is what pg gives for the column, or its text (`asText`). */
const SAME_IN_JSON = new Set([
  'uuid',
  'text',
  'varchar',
  'character varying',
  'boolean',
  'integer',
  'int',
  'int4',
  'smallint',
  'jsonb',
  'json',
  'enum',
  'simple-enum',
]);
const AS_TEXT = new Set(['bigint', 'int8', 'numeric', 'decimal']);
const TIMESTAMP = new Set(['timestamp with time zone', 'timestamptz']);

interface PropertyRead {
  property: string;
  column: string;
  expression(alias: string): string;
  parse?: (value: string) => unknown;
}

function propertyRead(metadata: EntityMetadata, property: string): PropertyRead | null {
  const column = metadata.findColumnWithPropertyPath(property);
  if (!column || column.isArray || column.transformer) return null;
  const type = typeof column.type === 'string' ? column.type : column.type.name.toLowerCase();
  const name = column.databaseName;
  if (SAME_IN_JSON.has(type)) return { property, column: name, expression: (a) => `${a}.${name}` };
  if (AS_TEXT.has(type))
    return { property, column: name, expression: (a) => `CAST(${a}.${name} AS text)` };
  if (TIMESTAMP.has(type))
    return {
      property,
      column: name,
      expression: (a) => `CAST(${a}.${name} AS text)`,
      parse: parseTimestamptz,
    };
  return null;
}

/** Reads one object's JSON array (or a relation's JSON) back into what its resolver returns. */
type Reader = (json: unknown, parent: object) => unknown;

/** A relation's SQL and its reader, for a selection; null when it cannot be embedded. */
interface Built {
  sql: string;
  read: Reader;
}

/**
 * Builds the embedded relations of one request's page (made by `Loaders.embedPage`): SQL with
 * named parameters (TypeORM's `:name`), and the readers that attach the parsed JSON to the
 * page's entities.
 */
export class EmbeddedRelations {
  private readonly parameters: Record<string, unknown> = {};
  private aliases = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: Auth,
    private readonly access: AccessPolicy,
    /** A page's totalCount, from its loader. */
    private readonly countOf: (
      relation: string,
      parentId: string,
      args: Record<string, unknown>,
    ) => Promise<number>,
  ) {}

  /** The page's embedding for `parent` entities selected as `selection`; null when none fits. */
  page(parent: Function, selection: NestedSelection | null): PageEmbedding | null {
    if (!selection?.relations.length) return null;
    Object.assign(this.parameters, this.access.visibleConversations(this.auth).parameters, {
      embedOrg: this.auth.organizationId,
    });
    const aliasOf = (name: string) => `embedded_${name}`;
    const readers: Array<{ name: string; args: Record<string, unknown>; read: Reader }> = [];
    return {
      parameters: this.parameters,
      joins: (parents) =>
        selection.relations.flatMap((relation) => {
          const built = this.relation(parent, relation, parents, 'set');
          if (!built) return []; // its resolver uses its loader
          readers.push({ name: relation.name, args: relation.args, read: built.read });
          return [{ sql: built.sql, alias: aliasOf(relation.name) }];
        }),
      attach: (node, row) => {
        for (const { name, args, read } of readers)
          attach(node, name, args, read(row[aliasOf(name)], node));
      },
    };
  }

  private relation(
    parent: Function,
    selection: EmbeddedSelection,
    parentSql: string,
    form: 'sql' | 'set',
  ): Built | null {
    const spec = RELATIONS.get(parent)?.[selection.name];
    const make = spec?.[form];
    if (!spec || !make) return null;
    if (spec.page && !spec.page.argsFit(selection.args)) return null;
    const metadata = this.dataSource.getMetadata(spec.target);
    const properties = new Set(['id', ...selection.node.properties]);
    if (spec.page && selection.node.cursor) properties.add(spec.page.orderProperty);
    const reads: PropertyRead[] = [];
    for (const property of [...properties].sort()) {
      const read = propertyRead(metadata, property);
      if (!read) return null;
      reads.push(read);
    }
    const alias = `e${++this.aliases}`;
    const nested: Array<{ name: string; args: Record<string, unknown>; read: Reader }> = [];
    const nestedSql: string[] = [];
    for (const child of selection.node.relations) {
      const built = this.relation(spec.target as Function, child, alias, 'sql');
      if (!built) continue; // its resolver uses its loader
      nested.push({ name: child.name, args: child.args, read: built.read });
      nestedSql.push(built.sql);
    }
    const object = `json_build_array(${[...reads.map((read) => read.expression(alias)), ...nestedSql].join(', ')})`;
    let index = 0;
    const sql = make({
      parent: parentSql,
      alias,
      object,
      // A page's source columns: those its objects and its nested relations read, and its order.
      columns: [...new Set([...reads.map((read) => read.column), 'created_at'])],
      args: selection.args,
      param: (value) => {
        const name = `embed${alias}p${index++}`;
        this.parameters[name] = value;
        return `:${name}`;
      },
      org: ':embedOrg',
      visibleConversations: this.access.visibleConversations(this.auth).from,
    });
    const entityOf = (values: unknown[]): object => {
      const entity = metadata.create() as Record<string, unknown>;
      for (let i = 0; i < reads.length; i++) {
        const { property, parse } = reads[i] as PropertyRead;
        const value = values[i];
        entity[property] = parse && value !== null ? parse(value as string) : value;
      }
      for (let j = 0; j < nested.length; j++) {
        const { name, args, read } = nested[j] as (typeof nested)[number];
        attach(entity, name, args, read(values[reads.length + j], entity));
      }
      return entity;
    };
    return { sql, read: this.reader(spec, selection, entityOf) };
  }

  private reader(
    spec: RelationSpec,
    selection: EmbeddedSelection,
    entityOf: (values: unknown[]) => object,
  ): Reader {
    if (spec.shape === 'one') return (json) => (json == null ? null : entityOf(json as unknown[]));
    if (spec.shape === 'list')
      return (json) => (json == null ? [] : (json as unknown[][]).map(entityOf));
    const first = selection.args.first as number;
    const order = (spec.page as NonNullable<RelationSpec['page']>).orderProperty;
    const { countOf } = this;
    return (json, parent) => {
      const rows = (json ?? []) as unknown[][];
      const nodes = rows.slice(0, first).map(entityOf) as Array<Record<string, unknown>>;
      return Object.assign(
        lazyCursors(nodes, (node) => {
          const value = node[order];
          return encodeCursor([
            value instanceof Date ? value.toISOString() : (value as string),
            node.id as string,
          ]);
        }),
        {
          nodes,
          hasNextPage: rows.length > first,
          // Not embedded (a page whose totalCount is selected is the loader's): counted apart.
          totalCount: () => countOf(selection.name, (parent as { id: string }).id, selection.args),
        },
      );
    };
  }
}
