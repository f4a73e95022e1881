import type { DataSource, EntityMetadata, EntityTarget } from 'typeorm';
import { encodeCursor, type Page } from '../db/pagination';
import { parseTimestamptz } from '../db/pg-types';
import { newEntity } from '../db/rows';
import { Contact } from '../entities/contact.entity';
import { Conversation } from '../entities/conversation.entity';
import { Customer } from '../entities/customer.entity';
import { HelperAssignment } from '../entities/helper-assignment.entity';
import { Staff } from '../entities/staff.entity';
import type { EmbeddedSelection, NestedSelection } from '../schema/nested-selection';
import { activeHelper } from '../services/helper/helper.store';
import { attach, type Slot, slotOf } from './embedded-values';

/**
 * The SQL and the readers of the relations a page embeds (embedded-relations.ts): which relation
 * of which entity Postgres can build, how, and how its JSON is read back into entities.
 */

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
  /**
   * Of a relation read for a whole page (`set`): the joins of its nested one-object relations
   * (`join`), to write after its source in FROM (its objects read their columns).
   */
  joins: string;
}

interface RelationSpec {
  target: EntityTarget<object>;
  shape: 'list' | 'one' | 'page';
  /** A page's order property (its cursors) and its argument check; pages only. */
  page?: { orderProperty: string; argsFit(args: Record<string, unknown>): boolean };
  /** Its value (JSON) for one parent row: a relation nested in another's objects. */
  sql?(parts: RelationSql): string;
  /**
   * A one-object relation nested in the objects of a relation read for a whole page: a LEFT
   * JOIN of its row to its parent's source (one join for the page, where `sql` is a subquery
   * run once per object).
   */
  join?(parts: RelationSql): string;
  /**
   * Its values for every row of a page at once, as rows `k` (a page row's id) and `json`: one
   * scan for the page, where a subquery per row would scan once per row.
   */
  set?(parts: RelationSql): string;
}

const isPageSize = (first: unknown) =>
  typeof first === 'number' && Number.isInteger(first) && first >= 1 && first <= 100;

/** By parent entity and relation name: the loader each one stands for is named beside it. */
/** A staff member of the parent's organization by the parent's `column` (as Loaders.staff). */
const staffBy = (column: string): RelationSpec => ({
  target: Staff,
  shape: 'one',
  sql: ({ parent, alias: x, object, org }) =>
    `(SELECT ${object} FROM staff ${x} WHERE ${x}.id = ${parent}.${column} AND ${x}.organization_id = ${org})`,
  join: ({ parent, alias: x, org }) =>
    `LEFT JOIN staff ${x} ON ${x}.id = ${parent}.${column} AND ${x}.organization_id = ${org}`,
});

const RELATIONS = new Map<Function, Record<string, RelationSpec>>([
  [
    Customer,
    {
      // Loaders.contactsOfCustomer
      contacts: {
        target: Contact,
        shape: 'list',
        set: ({ parent, alias: x, object, org, joins }) =>
          `SELECT ${x}.customer_id AS k, json_agg(${object} ORDER BY ${x}.created_at, ${x}.id) AS json
             FROM contact ${x} ${joins} WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
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
        set: ({
          parent,
          alias: x,
          object,
          columns,
          args,
          param,
          org,
          visibleConversations,
          joins,
        }) =>
          `SELECT ${x}.customer_id AS k,
                  json_agg(${object} ORDER BY ${x}.created_at DESC, ${x}.id DESC) AS json FROM (
              SELECT ${[...new Set([...columns, 'customer_id'])].map((column) => `${x}.${column}`).join(', ')},
                     row_number() OVER (PARTITION BY ${x}.customer_id
                                        ORDER BY ${x}.created_at DESC, ${x}.id DESC) AS rn
                FROM ${visibleConversations} ${x}
               WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
                 ${args.status ? `AND ${x}.status = ${param(args.status)}` : ''}
            ) ${x} ${joins}
            WHERE ${x}.rn <= ${param((args.first as number) + 1)}
            GROUP BY ${x}.customer_id`,
      },
      // Loaders.lastConversationOfCustomer
      lastConversation: {
        target: Conversation,
        shape: 'one',
        set: ({ parent, alias: x, object, org, visibleConversations, joins }) =>
          `SELECT DISTINCT ON (${x}.customer_id) ${x}.customer_id AS k, ${object} AS json
             FROM ${visibleConversations} ${x} ${joins}
            WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
            ORDER BY ${x}.customer_id, ${x}.created_at DESC, ${x}.id DESC`,
      },
      // Loaders.helpersOfCustomer
      helpers: {
        target: HelperAssignment,
        shape: 'list',
        set: ({ parent, alias: x, object, org, joins }) =>
          `SELECT ${x}.customer_id AS k, json_agg(${object} ORDER BY ${x}.assigned_at, ${x}.id) AS json
             FROM helper_assignment ${x} ${joins}
            WHERE ${x}.customer_id IN (${parent}) AND ${x}.organization_id = ${org}
              AND ${activeHelper(x)}
            GROUP BY ${x}.customer_id`,
      },
    },
  ],
  [
    Conversation,
    {
      assignee: staffBy('assignee_id'),
    },
  ],
  [
    HelperAssignment,
    {
      staff: staffBy('staff_id'),
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

/** A page's totalCount, from its loader (a page whose totalCount is selected is not embedded). */
export type CountOf = (
  relation: string,
  parentId: string,
  args: Record<string, unknown>,
) => Promise<number>;

/** Reads one object's JSON array (or a relation's JSON) back into what its resolver returns. */
type Reader = (json: unknown, parent: object, countOf: CountOf) => unknown;

/** A relation's SQL and its reader, for a selection; null when it cannot be embedded. */
interface Built {
  sql: string;
  read: Reader;
  /** Of a joined relation (`join`): its JSON, from the columns of its join. */
  value?: string;
}

/** Stands for the SQL selecting a page's ids in a plan's text, until a page names it. */
export const PARENTS = '\u0002parents\u0002';

/**
 * What one selection of a page embeds, worked out once: the relations' SQL (named parameters,
 * the page's ids as `PARENTS`), the values of the parameters that come from the selection's
 * arguments, and the readers. Only the caller's organization and visibility change between
 * requests of the same selection.
 */
export interface Plan {
  /** The relations' SQL: it stands for the whole plan (`PageEmbedding.key`). */
  key: string;
  joins: Array<{ sql: string; alias: string }>;
  byParents: Map<string, Array<{ sql: string; alias: string }>>;
  constants: Record<string, unknown>;
  readers: Array<{ slot: Slot; args: Record<string, unknown>; column: string; read: Reader }>;
}

/** Makes one selection's plan: SQL, parameters named in a fixed order, readers. */
export class Planner {
  private readonly constants: Record<string, unknown> = {};
  private aliases = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly visibleConversations: string,
  ) {}

  plan(parent: Function, selection: NestedSelection): Plan | null {
    const aliasOf = (name: string) => `embedded_${name}`;
    const readers: Plan['readers'] = [];
    const joins: Plan['joins'] = [];
    for (const relation of selection.relations) {
      const built = this.relation(parent, relation, PARENTS, 'set');
      if (!built) continue; // its resolver uses its loader
      const alias = aliasOf(relation.name);
      readers.push({
        slot: slotOf(relation.name),
        args: relation.args,
        column: alias,
        read: built.read,
      });
      joins.push({ sql: built.sql, alias });
    }
    if (!joins.length) return null;
    return {
      key: joins.map((join) => `${join.alias}:${join.sql}`).join('\u0000'),
      joins,
      byParents: new Map(),
      constants: this.constants,
      readers,
    };
  }

  private relation(
    parent: Function,
    selection: EmbeddedSelection,
    parentSql: string,
    form: 'sql' | 'set' | 'join',
  ): Built | null {
    const spec = RELATIONS.get(parent)?.[selection.name];
    const make = spec?.[form];
    if (!spec || !make) return null;
    if (spec.page && !spec.page.argsFit(selection.args)) return null;
    const metadata = this.dataSource.getMetadata(spec.target);
    // What the query reads of the objects, and a page's order when a cursor is read: an id
    // nobody reads is not written out by Postgres and parsed here (~400 per page of 50).
    const properties = new Set(selection.node.properties);
    if (spec.page && selection.node.cursor) properties.add('id').add(spec.page.orderProperty);
    const reads: PropertyRead[] = [];
    for (const property of [...properties].sort()) {
      const read = propertyRead(metadata, property);
      if (!read) return null;
      reads.push(read);
    }
    const alias = `e${++this.aliases}`;
    const nested: Array<{ slot: Slot; args: Record<string, unknown>; read: Reader }> = [];
    const nestedSql: string[] = [];
    const joins: string[] = [];
    for (const child of selection.node.relations) {
      // Below a page's relation, a join for the page; below an object, a subquery per object.
      const joined =
        form === 'set' ? this.relation(spec.target as Function, child, alias, 'join') : null;
      const built = joined ?? this.relation(spec.target as Function, child, alias, 'sql');
      if (!built) continue; // its resolver uses its loader
      nested.push({ slot: slotOf(child.name), args: child.args, read: built.read });
      nestedSql.push(built.value ?? built.sql);
      if (joined) joins.push(joined.sql);
    }
    const object = `json_build_array(${[...reads.map((read) => read.expression(alias)), ...nestedSql].join(', ')})`;
    let index = 0;
    const sql = make({
      parent: parentSql,
      alias,
      object,
      // A page's source columns: those its objects and its nested relations read, and its order.
      columns: [...new Set(['id', ...reads.map((read) => read.column), 'created_at'])],
      args: selection.args,
      param: (value) => {
        const name = `embed${alias}p${index++}`;
        this.constants[name] = value;
        return `:${name}`;
      },
      org: ':embedOrg',
      visibleConversations: this.visibleConversations,
      joins: joins.join(' '),
    });
    const entityOf = (values: unknown[], countOf: CountOf): object => {
      const entity = newEntity(metadata) as Record<string, unknown>;
      for (let i = 0; i < reads.length; i++) {
        const { property, parse } = reads[i] as PropertyRead;
        const value = values[i];
        entity[property] = parse && value !== null ? parse(value as string) : value;
      }
      for (let j = 0; j < nested.length; j++) {
        const { slot, args, read } = nested[j] as (typeof nested)[number];
        attach(entity, slot, args, read(values[reads.length + j], entity, countOf));
      }
      return entity;
    };
    return {
      sql,
      read: reader(spec, selection, entityOf),
      // No row joined (no assignee): null, as the subquery answers.
      value:
        form === 'join' ? `CASE WHEN ${alias}.id IS NULL THEN NULL ELSE ${object} END` : undefined,
    };
  }
}

/** A page of a relation read from its JSON: cursors encoded on first read, counted on demand. */
class EmbeddedPageOf<T extends { id: string }> implements Page<T> {
  private encoded: string[] | undefined;

  constructor(
    readonly nodes: T[],
    readonly hasNextPage: boolean,
    private readonly order: string,
    private readonly count: () => Promise<number>,
  ) {}

  get cursors(): string[] {
    return (this.encoded ??= this.nodes.map((node) => {
      const value = (node as Record<string, unknown>)[this.order];
      return encodeCursor([
        value instanceof Date ? value.toISOString() : (value as string),
        node.id,
      ]);
    }));
  }

  totalCount(): Promise<number> {
    return this.count();
  }
}

function reader(
  spec: RelationSpec,
  selection: EmbeddedSelection,
  entityOf: (values: unknown[], countOf: CountOf) => object,
): Reader {
  if (spec.shape === 'one')
    return (json, _parent, countOf) => (json == null ? null : entityOf(json as unknown[], countOf));
  if (spec.shape === 'list')
    return (json, _parent, countOf) => {
      if (json == null) return [];
      const rows = json as unknown[][];
      const objects: object[] = [];
      for (let i = 0; i < rows.length; i++) objects.push(entityOf(rows[i] as unknown[], countOf));
      return objects;
    };
  const first = selection.args.first as number;
  const order = (spec.page as NonNullable<RelationSpec['page']>).orderProperty;
  return (json, parent, countOf) => {
    const rows = (json ?? []) as unknown[][];
    const size = Math.min(rows.length, first);
    const nodes: Array<{ id: string }> = [];
    for (let i = 0; i < size; i++)
      nodes.push(entityOf(rows[i] as unknown[], countOf) as { id: string });
    return new EmbeddedPageOf(nodes, rows.length > first, order, () =>
      // Not embedded (a page whose totalCount is selected is the loader's): counted apart.
      countOf(selection.name, (parent as { id: string }).id, selection.args),
    );
  };
}
