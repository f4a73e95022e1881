import { markdownTable, textTable, formatRatio } from './format';

/** A part of the report: markdown for RESULTS.md, and the same for the terminal. */
export interface Block {
  /** Markdown; the terminal gets the same with tables as plain text. */
  markdown: string[];
  text: string[];
}

export function table(block: Block, headers: string[], rows: string[][]): void {
  block.markdown.push(markdownTable(headers, rows));
  block.text.push(textTable(headers, rows));
}

export function words(block: Block, ...paragraphs: string[]): void {
  block.markdown.push(...paragraphs);
  block.text.push(...paragraphs.map((paragraph) => paragraph.replace(/\*\*|`/g, '')));
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
export const verdict = (ratio: number, goal: number, atMost = true) =>
  !Number.isFinite(ratio)
    ? 'not measured'
    : (atMost ? ratio <= goal : ratio >= goal)
      ? '**within the goal**'
      : atMost
        ? '**over the goal**'
        : '**short of the goal**';
/** A ratio next to its goal, with a third decimal when two would hide which side it is on. */
export const ratioBeside = (ratio: number, goal: number) =>
  Math.abs(ratio - goal) < 0.005 && ratio !== goal ? `${ratio.toFixed(3)}x` : formatRatio(ratio);
