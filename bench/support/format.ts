/** Figures as the tables show them. */
export const formatMs = (ms: number): string =>
  Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms` : 'n/a';

export const formatRate = (perSecond: number): string =>
  Number.isFinite(perSecond) ? `${Math.round(perSecond).toLocaleString('en-US')}/s` : 'n/a';

export const formatRatio = (ratio: number): string =>
  Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a';

export const formatCount = (value: number): string =>
  Number.isFinite(value)
    ? value >= 100
      ? Math.round(value).toLocaleString('en-US')
      : String(Math.round(value * 10) / 10)
    : 'n/a';

type Cell = string | number;

/** A plain-text table for the terminal, columns padded, numbers right-aligned. */
export function textTable(headers: string[], rows: Cell[][]): string {
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
  return [
    line(cells[0] as string[]),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function markdownTable(headers: string[], rows: Cell[][]): string {
  const line = (row: Cell[]) => `| ${row.map(String).join(' | ')} |`;
  return [
    line(headers),
    `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export const formatUs = (us: number): string =>
  Number.isFinite(us) ? `${Math.round(us).toLocaleString('en-US')} µs` : 'n/a';
