import type { DataSource } from 'typeorm';
import { DEFINED_PREFIX, type SqlDefinition } from '../src/db/sql-definitions';

type Query = DataSource['query'];

/**
 * A function (`p`) an extension brought (pg_trgm's `similarity`, say): `CREATE EXTENSION` is DDL,
 * and what it installs is the extension's, not a definition of ours.
 */
const NOT_OF_AN_EXTENSION = `NOT EXISTS (SELECT 1 FROM pg_depend d
  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;

/** What a definition file declares: its functions with their bodies, its triggers and views. */
interface Declared {
  file: string;
  kind: 'function' | 'trigger' | 'view';
  name: string;
  /** Written CREATE OR REPLACE: a definition is created once, by one file. */
  orReplace: boolean;
  /** A function's body, between its `$$` quotes (what Postgres keeps as `prosrc`). */
  body?: string;
}

/** The objects a definition file creates, read from its text. */
export function declaredIn(definition: SqlDefinition): Declared[] {
  const declared: Declared[] = [];
  const create = /^CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|TRIGGER|VIEW)\s+(\w+)/gim;
  for (const match of definition.sql.matchAll(create)) {
    const [, orReplace, kind, name] = match as unknown as [string, string, string, string];
    const item: Declared = {
      file: definition.file,
      kind: kind.toLowerCase() as Declared['kind'],
      name,
      orReplace: Boolean(orReplace),
    };
    if (item.kind === 'function') {
      const open = definition.sql.indexOf('$$', match.index);
      const close = definition.sql.indexOf('$$', open + 2);
      item.body = open < 0 || close < 0 ? '' : definition.sql.slice(open + 2, close);
    }
    declared.push(item);
  }
  return declared;
}

/**
 * Functions, triggers and views a migration made: migrations hold DDL only (tables, columns,
 * indexes, constraints); everything else is a definition. Run on a database that had only its
 * migrations applied.
 */
export async function nonDdlObjects(query: Query): Promise<string[]> {
  const rows = (await query(
    `SELECT 'function ' || p.oid::regprocedure AS name FROM pg_proc p
      WHERE p.pronamespace = current_schema()::regnamespace AND ${NOT_OF_AN_EXTENSION}
     UNION ALL
     SELECT 'trigger ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
     UNION ALL
     SELECT 'view ' || c.relname FROM pg_class c
      WHERE c.relkind IN ('v', 'm') AND c.relnamespace = current_schema()::regnamespace
     ORDER BY 1`,
  )) as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

/**
 * How the definitions in the database differ from their files: an object no file declares, one
 * declared twice (or with OR REPLACE), one missing, a function whose text is not its file's.
 * Empty when the database is exactly its files.
 */
export async function definitionDrift(
  query: Query,
  definitions: SqlDefinition[],
): Promise<string[]> {
  const problems: string[] = [];
  const declared = new Map<string, Declared>();
  for (const item of definitions.flatMap(declaredIn)) {
    const key = `${item.kind} ${item.name}`;
    const earlier = declared.get(key);
    if (earlier) problems.push(`${key} is declared in ${earlier.file} and again in ${item.file}`);
    else declared.set(key, item);
    if (item.orReplace)
      problems.push(`${key} (${item.file}) is written CREATE OR REPLACE: write CREATE`);
    if (item.kind !== 'trigger' && !item.name.startsWith(DEFINED_PREFIX))
      problems.push(`${key} (${item.file}): definitions are named ${DEFINED_PREFIX}*`);
  }
  const rows = (await query(
    `SELECT 'function' AS kind, p.proname AS name, p.prosrc AS body FROM pg_proc p
      WHERE p.pronamespace = current_schema()::regnamespace AND ${NOT_OF_AN_EXTENSION}
     UNION ALL
     SELECT 'trigger', t.tgname, NULL FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
     UNION ALL
     SELECT 'view', c.relname, NULL FROM pg_class c
      WHERE c.relkind IN ('v', 'm') AND c.relnamespace = current_schema()::regnamespace`,
  )) as Array<{ kind: Declared['kind']; name: string; body: string | null }>;
  const present = new Set<string>();
  for (const row of rows) {
    const key = `${row.kind} ${row.name}`;
    const item = declared.get(key);
    if (present.has(key)) problems.push(`${key} has several signatures in the database`);
    present.add(key);
    if (!item) problems.push(`${key} is in the database but in no definition file`);
    else if (row.body !== null && row.body !== item.body)
      problems.push(`${key} in the database differs from ${item.file}`);
  }
  for (const key of declared.keys()) {
    if (!present.has(key))
      problems.push(`${key} (${declared.get(key)?.file}) is not in the database`);
  }
  return problems;
}
