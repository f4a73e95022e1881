/**
 * The helper area's SQL that other layers share (the per-request loaders read helpers too).
 * Helpers have no SQL function of their own: their rules run in the service's statements.
 */

/**
 * SQL condition for a helper assignment (table alias `alias`) that is in force now: not ended,
 * and its `until` not passed (the expiry job may not have ended it yet).
 */
export function activeHelper(alias: string): string {
  return `${alias}.ended_at IS NULL AND (${alias}.until IS NULL OR ${alias}.until > now())`;
}
