/**
 * SQL condition for a helper assignment (table alias `alias`) that is in force now: not ended,
 * and its `until` not passed (the expiry job may not have ended it yet).
 */
export function activeHelper(alias: string): string {
  return `${alias}.ended_at IS NULL AND (${alias}.until IS NULL OR ${alias}.until > now())`;
}
