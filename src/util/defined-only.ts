/** The fields a client actually sent: `undefined` means "leave as is", `null` means "clear". */
export function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
