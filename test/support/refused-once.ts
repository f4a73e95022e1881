import type { DataSource } from 'typeorm';

/**
 * Runs `body` while a trigger makes PostgreSQL refuse, once, the first write to `table` that
 * meets `when` (a condition on NEW or OLD), with `raise` (a RAISE statement): how a test makes a
 * failure happen where no seam reaches (graphile-worker's own statements). Removed afterwards.
 */
export async function whileRefusedOnce<T>(
  dataSource: DataSource,
  refusal: {
    name: string;
    on: 'BEFORE INSERT' | 'BEFORE DELETE';
    table: string;
    when: string;
    raise: string;
  },
  body: (refusals: () => Promise<number>) => Promise<T>,
): Promise<T> {
  const { name, on, table, when, raise } = refusal;
  const row = on === 'BEFORE DELETE' ? 'OLD' : 'NEW';
  await dataSource.query(`
    CREATE SEQUENCE ${name};
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (${when}) AND nextval('${name}') = 1 THEN
        ${raise};
      END IF;
      RETURN ${row};
    END $$;
    CREATE TRIGGER ${name} ${on} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  /** How many writes met the condition so far (the first was refused). */
  const refusals = async () => {
    const [counted] = (await dataSource.query(
      `SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM ${name}`,
    )) as Array<{ n: string }>;
    return Number(counted?.n ?? 0);
  };
  try {
    return await body(refusals);
  } finally {
    await dataSource.query(`
      DROP TRIGGER ${name} ON ${table};
      DROP FUNCTION ${name}();
      DROP SEQUENCE ${name}`);
  }
}
