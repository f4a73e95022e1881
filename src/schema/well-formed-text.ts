/** A UTF-16 surrogate without its pair: not a character, and not storable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface IllFormedText {
  /** The path of the string in the argument, as validation errors name fields (`filter.query`). */
  field: string;
  message: string;
}

function problemOf(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (it has a lone surrogate)';
  return undefined;
}

/**
 * The first string in `value` (walked through objects and lists) that no column could store:
 * a NUL character or a lone surrogate. Checked for every argument before its resolver runs, so
 * no input type needs a rule of its own and nothing is written before the refusal.
 */
export function findIllFormedText(value: unknown, path = ''): IllFormedText | undefined {
  if (typeof value === 'string') {
    const problem = problemOf(value);
    return problem ? { field: path, message: `${path || 'text'} ${problem}` } : undefined;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findIllFormedText(item, path);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = problemOf(key);
      if (keyProblem) return { field: path || 'input', message: `a field name ${keyProblem}` };
      const found = findIllFormedText(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}
