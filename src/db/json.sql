-- How rows become the JSON that events and lock answers carry, shared by every area's SQL.
-- Applied after the migrations as a repeatable definition (src/db/sql-definitions.ts).

CREATE FUNCTION tandem_iso(ts timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
