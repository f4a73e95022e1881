import { validateOrReject, ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, type ResolverData } from 'type-graphql';
import { findIllFormedText } from './well-formed-text';

const OPTIONS: ValidatorOptions = {
  // GraphQL itself enforces required fields; class-validator checks what was sent.
  skipMissingProperties: true,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};

const isObject = (value: unknown): value is object => value !== null && typeof value === 'object';

/** Arguments already found valid, by class and value: nested list arguments repeat per row. */
const valid = new Map<string, true>();
const MAX_REMEMBERED = 2000;
/** Only small arguments are remembered (page arguments, ids): the memory stays under ~1 MB. */
const MAX_REMEMBERED_KEY = 400;

function refusal(field: string, message: string): ArgumentValidationError {
  const error = new ValidationError();
  error.property = field;
  error.constraints = { wellFormedText: message };
  error.children = [];
  return new ArgumentValidationError([error]);
}

/** The name of a scalar argument, which type-graphql hands over as its bare value. */
function argumentNameOf(value: unknown, data: ResolverData | undefined): string {
  const args = (data?.args ?? {}) as Record<string, unknown>;
  return Object.keys(args).find((name) => args[name] === value) ?? 'input';
}

const keyOf = (value: object) => `${value.constructor.name}:${JSON.stringify(value)}`;

/**
 * Whether `validateArguments` passes this value without a check: one found valid before, or one
 * it does not look at (numbers, booleans, null). Lets a resolver called directly skip a promise.
 */
export function isKnownValid(value: unknown): boolean {
  if (typeof value === 'string') return false;
  return !isObject(value) || valid.has(keyOf(value));
}

/**
 * type-graphql's validation of every argument: first that its text can be stored (no NUL, no
 * lone surrogate, anywhere in it), then class-validator, imported once (the built-in one
 * re-imports it on every call), remembering valid values so that `conversations(first: 3)` on
 * each of 50 customers is validated once.
 */
export async function validateArguments(
  value: unknown,
  _type?: unknown,
  data?: ResolverData,
): Promise<void> {
  if (typeof value === 'string') {
    const bad = findIllFormedText(value, argumentNameOf(value, data));
    if (bad) throw refusal(bad.field, bad.message);
    return;
  }
  if (!isObject(value)) return;
  const key = keyOf(value);
  if (valid.has(key)) return;
  const bad = findIllFormedText(value);
  if (bad) throw refusal(bad.field || argumentNameOf(value, data), bad.message);
  try {
    if (Array.isArray(value))
      await Promise.all(value.filter(isObject).map((item) => validateOrReject(item, OPTIONS)));
    else await validateOrReject(value, OPTIONS);
  } catch (errors) {
    // class-validator rejects with its ValidationErrors; anything else is a fault of ours.
    if (!Array.isArray(errors)) throw errors;
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
  if (key.length > MAX_REMEMBERED_KEY) return;
  if (valid.size >= MAX_REMEMBERED) valid.clear();
  valid.set(key, true);
}
