import os from 'node:os';
import { type Comparison, type VariantSummary, otherCpuShare } from './compare';

/** Figures as the tables show them ('n/a' for what was not measured). */
const finite = (value: number, show: (value: number) => string) =>
  Number.isFinite(value) ? show(value) : 'n/a';
export const ms = (value: number) =>
  finite(value, (v) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);
export const rate = (value: number) =>
  finite(value, (v) => `${Math.round(v).toLocaleString('en-US')}/s`);
export const ratio = (value: number) => finite(value, (v) => `${v.toFixed(2)}x`);
export const us = (value: number) =>
  finite(value, (v) => `${Math.round(v).toLocaleString('en-US')} µs`);
export const kb = (bytes: number) => finite(bytes, (v) => `${(v / 1024).toFixed(1)} KB`);
export const count = (value: number) =>
  finite(value, (v) =>
    v >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 10) / 10),
  );
export const percent = (share: number) => finite(share, (v) => `${Math.round(v * 100)}%`);

type Cell = string | number;

function textTable(headers: string[], rows: Cell[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const [head = [], ...body] = cells;
  return [line(head), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join(
    '\n',
  );
}

function markdownTable(headers: string[], rows: Cell[][]): string {
  const line = (row: Cell[]) => `| ${row.map(String).join(' | ')} |`;
  return [
    line(headers),
    `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/**
 * A benchmark's report: headings, tables and a few fixed lines saying what was measured
 * against what. Markdown for RESULTS.md; the terminal gets the same with plain-text tables.
 */
export class Report {
  private readonly markdownParts: string[] = [];
  private readonly textParts: string[] = [];

  heading(title: string): this {
    this.markdownParts.push(`### ${title}`);
    this.textParts.push(`== ${title}`);
    return this;
  }

  note(...lines: string[]): this {
    this.markdownParts.push(lines.join('\n'));
    this.textParts.push(lines.join('\n').replace(/\*\*|`/g, ''));
    return this;
  }

  table(headers: string[], rows: Cell[][]): this {
    this.markdownParts.push(markdownTable(headers, rows));
    const plain = (cell: Cell) => String(cell).replace(/\*\*|`/g, '');
    this.textParts.push(
      textTable(
        headers,
        rows.map((row) => row.map(plain)),
      ),
    );
    return this;
  }

  get markdown(): string {
    return this.markdownParts.join('\n\n');
  }
  get text(): string {
    return this.textParts.join('\n\n');
  }
}

/** Extra columns of a comparison: a per-request counter (e.g. `serverCpuUs`), shown with `show`. */
export interface Column {
  title: string;
  key: string;
  show: (value: number) => string;
}

export const CPU_COLUMNS: Column[] = [
  { title: 'server CPU / request', key: 'serverCpuUs', show: us },
  { title: 'Postgres CPU / request', key: 'postgresCpuUs', show: us },
];

/**
 * The summary of a comparison: one row per variant (medians of its rounds), then one per ratio
 * `[ours, baseline]`: p50, p99, throughput, and each column's per-request figure.
 */
export function comparisonTable(
  report: Report,
  comparison: Comparison,
  {
    labels,
    ratios,
    columns = CPU_COLUMNS,
  }: { labels: Record<string, string>; ratios: Array<[string, string]>; columns?: Column[] },
): void {
  const summary = (variant: string) => {
    const found = comparison.summaries.find((candidate) => candidate.variant === variant);
    if (!found) throw new Error(`no variant "${variant}" in the comparison`);
    return found;
  };
  const per = (s: VariantSummary, key: string) => s.perRequest[key] ?? Number.NaN;
  const rows = comparison.summaries.map((s) => [
    labels[s.variant] ?? s.variant,
    ms(s.p50),
    ms(s.p99),
    rate(s.throughput),
    ...columns.map((column) => column.show(per(s, column.key))),
  ]);
  for (const [of, to] of ratios) {
    const [a, b] = [summary(of), summary(to)];
    rows.push([
      `${labels[of] ?? of} / ${labels[to] ?? to}`,
      ratio(a.p50 / b.p50),
      ratio(a.p99 / b.p99),
      ratio(a.throughput / b.throughput),
      ...columns.map((column) => ratio(per(a, column.key) / per(b, column.key))),
    ]);
  }
  report.table(['', 'p50', 'p99', 'throughput', ...columns.map((column) => column.title)], rows);
}

/** Each round of a comparison, with the share of the machine other processes used meanwhile. */
export function roundsTable(report: Report, comparison: Comparison, ownKeys: string[]): void {
  const cpus = os.cpus().length;
  report.table(
    ['round', 'variant', 'p50', 'p99', 'throughput', 'machine used by others'],
    comparison.rounds.map((result) => [
      result.round,
      result.variant,
      ms(result.load.p50),
      ms(result.load.p99),
      rate(result.load.throughput),
      percent(otherCpuShare(result, ownKeys, cpus)),
    ]),
  );
}
