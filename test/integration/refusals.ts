import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLInputType,
  GraphQLID,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isNonNullType,
} from 'graphql';
import type { DataSource } from 'typeorm';

/**
 * Helpers for the tests of refused requests (tenancy, bad input): where the schema takes ids, and
 * a fingerprint of the whole database to show that a refusal wrote nothing.
 */

export type RootType = 'Query' | 'Mutation' | 'Subscription';

/**
 * The emitted schema.graphql, read synchronously so that tables of test cases can be built from
 * it when jest collects the tests (the drift check keeps it equal to the code's schema).
 */
export function emittedSchema(): GraphQLSchema {
  return buildSchema(readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8'));
}

function rootFields(schema: GraphQLSchema, root: RootType) {
  const type =
    root === 'Query'
      ? schema.getQueryType()
      : root === 'Mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  return Object.values(type?.getFields() ?? {});
}

/** Argument paths whose value is an ID (or a list of IDs), through nested input objects. */
function idPaths(
  entries: ReadonlyArray<GraphQLArgument | GraphQLInputField>,
  prefix: string,
  visiting: Set<string>,
): string[] {
  return entries.flatMap((entry) => {
    const at = prefix ? `${prefix}.${entry.name}` : entry.name;
    const named = getNamedType(entry.type);
    if (named.name === GraphQLID.name) return [at];
    if (!isInputObjectType(named) || visiting.has(named.name)) return [];
    visiting.add(named.name);
    const nested = idPaths(Object.values(named.getFields()), at, visiting);
    visiting.delete(named.name);
    return nested;
  });
}

/**
 * Every place where a root operation takes an id, as `"assignConversation input.staffId"`. A
 * new operation (or a new id on an existing one) appears here, so a table of cases that must
 * cover this list fails until someone writes the case.
 */
export function idArgumentsOf(schema: GraphQLSchema, root: RootType): string[] {
  return rootFields(schema, root).flatMap((field) =>
    idPaths(field.args, '', new Set()).map((at) => `${field.name} ${at}`),
  );
}

/** The names of the root operations of one kind. */
export function operationsOf(schema: GraphQLSchema, root: RootType): string[] {
  return rootFields(schema, root).map((field) => field.name);
}

/** The input object type of a mutation's `input` argument. */
export function inputTypeOf(schema: GraphQLSchema, mutation: string) {
  const arg = schema
    .getMutationType()
    ?.getFields()
    [mutation]?.args.find((a) => a.name === 'input');
  const named = arg && getNamedType(arg.type as GraphQLInputType);
  return named && isInputObjectType(named) ? named : undefined;
}

/** Fields of a mutation's input a client must send: non-null and without a default. */
export function requiredInputFieldsOf(schema: GraphQLSchema, mutation: string): string[] {
  const input = inputTypeOf(schema, mutation);
  return Object.values(input?.getFields() ?? {})
    .filter((field) => isNonNullType(field.type) && field.defaultValue === undefined)
    .map((field) => field.name);
}

export type DatabaseFingerprint = Record<string, { rows: number; digest: string }>;

/**
 * Row count and a digest of every row of every table. Window sessions are left out: a WebSocket
 * opens and closes one of its own, which is the connection, not something the request wrote.
 */
export async function fingerprintDatabase(dataSource: DataSource): Promise<DatabaseFingerprint> {
  const tables = (await dataSource.query(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'migration'
      ORDER BY table_name`,
  )) as Array<{ name: string }>;
  const fingerprint: DatabaseFingerprint = {};
  for (const { name } of tables) {
    const where = name === 'client_session' ? `WHERE t.kind <> 'WINDOW'` : '';
    // A session's liveness is not a write of the refused call: any authenticated request counts
    // as its session being seen (issue 15), refused or not.
    const value = name === 'client_session' ? `(to_jsonb(t) - 'last_seen_at')::text` : 't::text';
    const [row] = (await dataSource.query(
      `SELECT count(*)::int AS rows,
              md5(coalesce(string_agg(${value}, '|' ORDER BY ${value}), '')) AS digest
         FROM "${name}" t ${where}`,
    )) as Array<{ rows: number; digest: string }>;
    fingerprint[name] = { rows: row?.rows ?? 0, digest: row?.digest ?? '' };
  }
  return fingerprint;
}
