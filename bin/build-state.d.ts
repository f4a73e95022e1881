/** The checkout this file is in. */
export const root: string;
/** True when `entry` (a file under dist/) exists and no source of `base` changed since it was built. */
export function isBuildCurrent(entry: string, base?: string): boolean;
