/** The profiler moved to bench/support/profile.ts, shared by every benchmark. */
export * from '../support/profile';
