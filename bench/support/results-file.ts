import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const RESULTS_FILE = path.join(__dirname, '..', 'RESULTS.md');

const HEADER = `# Benchmark results

Figures written by \`npm run bench -- NAME\` (\`bench/README.md\`). Each section is replaced when its
benchmark runs again. Every benchmark runs its baseline in the same run, alternating with ours:
read the ratios. Benchmarks are not tests: nothing asserts a speed.
`;

const start = (name: string) => `<!-- bench:${name} -->`;
const end = (name: string) => `<!-- /bench:${name} -->`;

/**
 * Writes one benchmark's section (between its markers, under a "## name" heading), replacing
 * the previous one of that benchmark and keeping the others in place.
 */
export async function writeResultsSection(
  name: string,
  body: string,
  file = RESULTS_FILE,
): Promise<void> {
  const section = `${start(name)}\n## ${name}\n\n${body.trim()}\n${end(name)}`;
  const current = existsSync(file) ? await readFile(file, 'utf8') : HEADER;
  const from = current.indexOf(start(name));
  const to = current.indexOf(end(name));
  const next =
    from >= 0 && to > from
      ? current.slice(0, from) + section + current.slice(to + end(name).length)
      : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}
