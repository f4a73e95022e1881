/** The report helpers moved to bench/support/report-blocks.ts, shared by every benchmark. */
export * from '../support/report-blocks';
