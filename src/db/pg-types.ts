import { types } from 'pg';

/** PostgreSQL's type oid of `timestamp with time zone`. */
const TIMESTAMPTZ = 1184;

type Parser = (value: string) => Date;

/** pg's own parser, for what the fast path does not read. */
const parseTimestamptzSlowly = types.getTypeParser(TIMESTAMPTZ) as Parser;

/**
 * Sessions run in UTC (createDataSource sets `TimeZone=UTC`), so Postgres writes times as
 * "2026-11-24 21:24:00.123+00": read those straight into a Date (pg's general parser's regular
 * expressions were a tenth of a list request). Anything else goes to pg's parser.
 */
export function parseTimestamptz(value: string): Date {
  if (value.length >= 22 && value[10] === ' ' && value.endsWith('+00')) {
    return new Date(`${value.slice(0, 10)}T${value.slice(11, -3)}Z`);
  }
  return parseTimestamptzSlowly(value);
}

/**
 * pg's type parsers are one table for the whole process: this module is the one place that
 * changes it, when the first data source is made. test/unit/pg-types.spec.ts pins what it relies
 * on (pg's parser table, and its parser's answers, which the fast path must equal).
 */
export function installTypeParsers(): void {
  types.setTypeParser(TIMESTAMPTZ, parseTimestamptz);
}
