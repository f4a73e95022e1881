/**
 * Wall-clock time in milliseconds with sub-millisecond resolution (`Date.now()` has whole
 * milliseconds: a 1 ms receipt read as 0 or 2). Comparable between the benchmark's processes on
 * one host: each process's time origin is the wall clock when it started, and the rest is the
 * monotonic clock.
 */
export const wallMs = (): number => performance.timeOrigin + performance.now();
