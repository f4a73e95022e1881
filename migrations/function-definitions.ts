/**
 * One function's `CREATE FUNCTION ... $$;` out of a migration's SQL text, as `CREATE OR REPLACE`:
 * how a later migration's `down` puts back the body an earlier one wrote, without copying it.
 */
export function functionDefinition(sql: string, name: string): string {
  const start = sql.indexOf(`CREATE FUNCTION ${name}(`);
  const end = start < 0 ? -1 : sql.indexOf('$$;', sql.indexOf('$$', start) + 2);
  if (end < 0) throw new Error(`no definition of ${name} in the SQL given`);
  return sql.slice(start, end + 3).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');
}
