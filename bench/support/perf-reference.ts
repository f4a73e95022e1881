/**
 * Figures PERF.md states for the machine its goals were set on, where a benchmark reads a goal
 * against them rather than against a baseline of its own run.
 */

/** Apollo Server 5 answering a trivial `{ hello }` at 10 connections: ~17k req/s there. */
export const PERF_APOLLO_TRIVIAL_RATE = 17_000;

/** Lists with nested fields should reach this share of Apollo's trivial-query rate. */
export const LIST_GOAL_SHARE = 0.2;
