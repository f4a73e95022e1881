import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';

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

/**
 * type-graphql's validation of inputs and args with class-validator, imported once (the built-in
 * one re-imports it on every call) and remembering valid values, so that `conversations(first:
 * 3)` on each of 50 customers is validated once.
 */
export async function validateArguments(value: unknown): Promise<void> {
  if (!isObject(value)) return;
  const key = `${value.constructor.name}:${JSON.stringify(value)}`;
  if (valid.has(key)) return;
  try {
    if (Array.isArray(value))
      await Promise.all(value.filter(isObject).map((item) => validateOrReject(item, OPTIONS)));
    else await validateOrReject(value, OPTIONS);
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
  if (valid.size >= MAX_REMEMBERED) valid.clear();
  valid.set(key, true);
}
