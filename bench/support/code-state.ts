import { execFileSync } from 'node:child_process';

/**
 * Which code ran, as RESULTS.md records it: src/ may be changing in the working tree while
 * benchmarks run (another engineer's work in progress is measured too).
 */
export function codeState(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    const changed = git('status', '--porcelain', '--', 'src', 'migrations')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    return changed.length
      ? `commit ${commit} with uncommitted changes in ${changed.map((file) => `\`${file}\``).join(', ')}`
      : `commit ${commit}, src/ unchanged`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
