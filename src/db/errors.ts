/** True when `error` is Postgres' unique violation (23505), optionally on a named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError =
    (error as { driverError?: { code?: string; constraint?: string } }).driverError ?? error;
  const { code, constraint: name } = driverError as { code?: string; constraint?: string };
  return code === '23505' && (constraint === undefined || name === constraint);
}
