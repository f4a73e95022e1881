import {
  type GraphQLInputType,
  GraphQLID,
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLInt,
  GraphQLString,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { encodeCursor } from '../../src/db/pagination';

/** A small seeded generator (mulberry32): the same seed gives the same run. */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }

  /** A uuid made of the seed's numbers, so that a replay sends the same ones. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.below(16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}

/** Ids the fuzzer may send: the seeded organization's rows, and another organization's. */
export interface IdPools {
  own: string[];
  foreign: string[];
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** Text no column stores (a lone surrogate, a NUL), in the shapes fields expect. */
function unstorableText(random: Random): string {
  const bad = random.pick(['\ud800', '\udfff', '\u0000']);
  return random.pick([
    () => bad,
    () => `ann${bad}@example.com`,
    () => `+1415555${bad}0100`,
    () => `Hello ${bad}`,
    () => `${bad}${'x'.repeat(10)}`,
  ])();
}

/** Strings at the edges: empty, huge, blank, unicode, what no column stores, look-alikes. */
function edgeString(random: Random): string {
  if (random.chance(0.3)) return unstorableText(random);
  return random.pick([
    () => '',
    () => ' ',
    () => ' \n\t ',
    () => 'a',
    () => 'x'.repeat(random.pick([255, 256, 1000, 5000, 20_000])),
    () => 'Zoë 👩‍💻 漢字',
    () => '\ud800',
    () => `name\ud800x`,
    () => 'x\udc00',
    () => 'ann\ud800@example.com',
    () => 'Hello \udfff',
    () => 'a\u0000b',
    () => '\u0000',
    () => '\u202eevil',
    () => 'ann@example.com',
    () => `fuzz-${random.below(1e6)}@example.com`,
    () => 'not-an-email',
    () => '@@',
    () => '+14155550100',
    () => '0033123456789',
    () => 'call me maybe',
    () => '2026-11-24T09:30:00Z',
    () => '0000-01-01T00:00:00.000Z',
    () => 'null',
    () => "'; DROP TABLE staff; --",
    () => '{{{',
    () => random.uuid(),
    () => `Fuzz ${random.below(1e9)}`,
  ])();
}

/** Cursors no list handed out (`after` arguments). */
function forgedCursor(random: Random): unknown {
  return random.pick([
    () => '!!not a cursor!!',
    () => base64url('{{{'),
    () => base64url('{"name":"x"}'),
    () => encodeCursor(['0000-01-01T00:00:00.000Z', random.uuid()]),
    () => encodeCursor(['9999-12-31T23:59:59.999Z', random.uuid()]),
    () => encodeCursor(['2026-02-30T00:00:00.000Z', random.uuid()]),
    () => encodeCursor(['a\u0000b', random.uuid()]),
    () => encodeCursor([Number.MAX_SAFE_INTEGER, random.uuid()]),
    () => encodeCursor([-1, 'x']),
    () => encodeCursor(['x']),
    () => base64url(JSON.stringify([['nested'], random.uuid()])),
    () => 'x'.repeat(10_000),
    () => -1,
    () => null,
  ])();
}

function idValue(random: Random, ids: IdPools): unknown {
  return random.pick([
    () => random.pick(ids.own),
    () => random.pick(ids.own),
    () => random.pick(ids.own),
    () => random.pick(ids.foreign),
    () => random.pick(ids.foreign),
    () => random.uuid(),
    () => 'not-a-uuid',
    () => '',
    () => '00000000-0000-0000-0000-000000000000',
    () => `${random.pick(ids.own)}\u0000`,
    () => 12345,
  ])();
}

function intValue(random: Random): unknown {
  return random.pick([
    0,
    1,
    2,
    5,
    20,
    50,
    100,
    101,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    1e15,
    3.5,
    '7',
  ]);
}

function dateTimeValue(random: Random): unknown {
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  return random.pick([
    inAnHour,
    '2100-01-01T00:00:00Z',
    '2020-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    'tomorrow',
    '2026-02-30T00:00:00Z',
    '',
    0,
  ]);
}

/** A value that is plainly of another type than `type` asks for. */
function wrongType(random: Random): unknown {
  return random.pick([
    () => ({ nested: true }),
    () => [1, 2],
    () => 3.25,
    () => true,
    () => 'text',
  ])();
}

/** Values a console would send, so that a call gets past validation to the rules. */
function plausible(type: string, name: string, random: Random, ids: IdPools): unknown {
  switch (type) {
    case GraphQLID.name:
      return random.chance(0.85) ? random.pick(ids.own) : random.pick(ids.foreign);
    case GraphQLInt.name:
    case GraphQLFloat.name:
      return 1 + random.below(20);
    case GraphQLBoolean.name:
      return random.chance(0.5);
    case 'DateTime':
      return new Date(Date.now() + 86_400_000).toISOString();
    default:
      if (/email/i.test(name)) return `fuzz-${random.below(1e6)}@example.com`;
      if (/phone/i.test(name)) return `+1415555${String(random.below(1e4)).padStart(4, '0')}`;
      if (/password/i.test(name)) return 'correct horse battery';
      if (name === 'value') return `fuzz-${random.below(1e6)}@example.com`;
      return `Fuzz ${random.below(1e6)}`;
  }
}

/**
 * A random value for an input type. `hostility` is the chance that a value is hostile: a null,
 * a wrong type, a missing field, or a well-typed value at the edges (so that it reaches the
 * parsers and the rules); the rest are values a console would send (so that a call with one bad
 * value gets as far as the service that must refuse it without writing).
 */
export function valueFor(
  type: GraphQLInputType,
  random: Random,
  ids: IdPools,
  name: string,
  hostility: number,
  depth = 0,
): unknown {
  const hostile = random.chance(hostility);
  if (hostile && random.chance(0.15)) return null;
  if (hostile && random.chance(0.1)) return wrongType(random);
  if (isNonNullType(type)) return valueFor(type.ofType, random, ids, name, hostility, depth);
  if (isListType(type)) {
    const length = hostile ? random.pick([0, 1, 3, 60]) : random.pick([1, 1, 2]);
    return Array.from({ length }, () =>
      valueFor(type.ofType, random, ids, name, hostility, depth + 1),
    );
  }
  if (isEnumType(type)) {
    const values = type.getValues().map((value) => value.name);
    return hostile && random.chance(0.3)
      ? random.pick(['NOT_A_VALUE', 'agent', ''])
      : random.pick(values);
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return {};
    const object: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (!required && random.chance(0.4)) continue;
      if (required && hostile && random.chance(0.1)) continue;
      object[field.name] = valueFor(field.type, random, ids, field.name, hostility, depth + 1);
    }
    if (hostile && random.chance(0.05)) object.notAField = 'x';
    return object;
  }
  if (!isScalarType(type)) return undefined;
  if (!hostile) return name === 'after' ? undefined : plausible(type.name, name, random, ids);
  if (name === 'after') return forgedCursor(random);
  switch (type.name) {
    case GraphQLID.name:
      return idValue(random, ids);
    case GraphQLInt.name:
    case GraphQLFloat.name:
      return intValue(random);
    case GraphQLBoolean.name:
      return random.chance(0.95) ? random.chance(0.5) : 'yes';
    case GraphQLString.name:
      return edgeString(random);
    case 'DateTime':
      return dateTimeValue(random);
    default:
      return edgeString(random);
  }
}
