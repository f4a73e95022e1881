import type { VariantSummary } from './compare';
import { formatCount, formatMs, formatRate, formatRatio, formatUs } from './format';

/** The columns of a request benchmark's summary: latency, throughput and costs per request. */
export const REQUEST_COLUMNS = [
  '',
  'p50',
  'p99',
  'throughput',
  'SQL / request',
  'server CPU / request',
  'of which GC',
  'Postgres CPU / request',
  'load generator CPU / request',
];

export function requestRow(name: string, summary: VariantSummary): string[] {
  const { perRequest: per } = summary;
  return [
    name,
    formatMs(summary.p50),
    formatMs(summary.p99),
    formatRate(summary.throughput),
    formatCount(per.statements ?? Number.NaN),
    formatUs(per.serverCpuUs ?? Number.NaN),
    formatUs(per.serverGcUs ?? Number.NaN),
    formatUs(per.postgresCpuUs ?? Number.NaN),
    formatUs(per.clientCpuUs ?? Number.NaN),
  ];
}

export function requestRatioRow(ours: VariantSummary, base: VariantSummary): string[] {
  const ratio = (key: string) =>
    formatRatio((ours.perRequest[key] ?? Number.NaN) / (base.perRequest[key] ?? Number.NaN));
  return [
    'ours / baseline',
    formatRatio(ours.p50 / base.p50),
    formatRatio(ours.p99 / base.p99),
    formatRatio(ours.throughput / base.throughput),
    ratio('statements'),
    ratio('serverCpuUs'),
    ratio('serverGcUs'),
    ratio('postgresCpuUs'),
    ratio('clientCpuUs'),
  ];
}
