import { types } from 'pg';
import { installTypeParsers, parseTimestamptz } from '../../src/db/pg-types';

// pg's own parser, taken before ours replaces it in pg's process-wide table.
const TIMESTAMPTZ = 1184;
const pgParser = types.getTypeParser(TIMESTAMPTZ) as (value: string) => Date;

describe('pg type parsers (the adapter over pg’s process-wide parser table)', () => {
  it.each([
    ['milliseconds, UTC', '2026-11-24 21:24:00.123+00'],
    ['whole seconds, UTC', '2026-11-24 21:24:00+00'],
    ['microseconds, UTC', '2026-11-24 21:24:00.123456+00'],
    ['another offset', '2026-11-24 23:24:00.123+02'],
    ['an offset with minutes', '2026-11-24 21:24:00.5+05:30'],
    ['a date before the common era', '0044-03-15 12:00:00+00 BC'],
    ['infinity', 'infinity'],
  ])('reads %s as pg’s own parser does (%s)', (_what, text) => {
    expect(parseTimestamptz(text)).toEqual(pgParser(text));
  });

  it('is what pg uses for timestamptz once installed', () => {
    installTypeParsers();
    expect(types.getTypeParser(TIMESTAMPTZ)).toBe(parseTimestamptz);
  });
});
