/**
 * Where a server process's CPU went, from a V8 CPU profile (`BENCH_CPU_PROF=<dir>`, see
 * `server-process.ts`): self time summed by layer (a package under node_modules, a folder of
 * `src/`, Node's own modules, garbage collection), and the functions that cost most.
 *
 *   node -r @swc-node/register bench/support/profile-breakdown.ts <file.cpuprofile>... [top]
 *
 * `--window FROM-TO` (repeatable) counts only the samples in those spans of the monotonic clock
 * (µs), as a benchmark logs its load's (`bench/supervision`).
 *
 * Several files (the rounds of one variant) are summed as one.
 *
 * Idle time (the event loop waiting) is left out of the shares: they are shares of the CPU used.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  /** Monotonic clock, µs (as `process.hrtime`). */
  startTime?: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The layer a function belongs to, by where its code is. */
export function layerOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return '(program: V8 and native, not attributed)';
  if (functionName === '(idle)') return '(idle)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  const src = /\/(src|bench)\/(.+)$/.exec(url);
  if (src) {
    const parts = (src[2] as string).split('/');
    return `ours: ${src[1]}/${parts.length > 1 ? parts[0] : parts.join('/')}`;
  }
  if (url.startsWith('node:'))
    return `node: ${
      url
        .slice(5)
        .replace(/^internal\//, '')
        .split('/')[0]
    }`;
  if (url === '') return '(native)';
  return url;
}

/**
 * The nodes under the inspector's `post` (the profiler's own start, in a process that profiles
 * itself: `compare.ts`): V8 charges the samples taken while the thread waits to it. Left out.
 */
function profilerNodes(profile: Profile): Set<number> {
  const children = new Map(profile.nodes.map((node) => [node.id, node.children ?? []]));
  const under = new Set<number>();
  const visit = (id: number) => {
    under.add(id);
    for (const child of children.get(id) ?? []) visit(child);
  };
  for (const node of profile.nodes)
    if (node.callFrame.url === 'node:inspector' && node.callFrame.functionName === 'post')
      visit(node.id);
  return under;
}

export interface Breakdown {
  totalMs: number;
  layers: Array<{ layer: string; ms: number; share: number }>;
  functions: Array<{ name: string; layer: string; ms: number; share: number }>;
}

/** Monotonic-clock windows (µs) whose samples alone count, e.g. a benchmark's load. */
export type Windows = Array<[from: number, to: number]>;

export function breakdownOf(profiles: Profile | Profile[], top = 25, windows?: Windows): Breakdown {
  const layers = new Map<string, number>();
  const functions = new Map<string, { layer: string; us: number }>();
  let totalUs = 0;
  for (const profile of Array.isArray(profiles) ? profiles : [profiles]) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const profiler = profilerNodes(profile);
    let at = profile.startTime ?? 0;
    profile.samples.forEach((id, index) => {
      const node = byId.get(id);
      const us = profile.timeDeltas[index] ?? 0;
      at += us;
      if (windows && !windows.some(([from, to]) => at >= from && at <= to)) return;
      if (!node || profiler.has(id)) return;
      const layer = layerOf(node.callFrame);
      if (layer === '(idle)') return;
      totalUs += us;
      layers.set(layer, (layers.get(layer) ?? 0) + us);
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url ? `${url.replace(/^.*\/(node_modules|src)\//, '')}:${lineNumber + 1}` : '';
      const name = `${functionName || '(anonymous)'} ${where}`.trim();
      const entry = functions.get(name) ?? { layer, us: 0 };
      entry.us += us;
      functions.set(name, entry);
    });
  }
  const share = (us: number) => us / totalUs;
  return {
    totalMs: totalUs / 1000,
    layers: [...layers]
      .sort((a, b) => b[1] - a[1])
      .map(([layer, us]) => ({ layer, ms: us / 1000, share: share(us) })),
    functions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([name, { layer, us }]) => ({ name, layer, ms: us / 1000, share: share(us) })),
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  // --window FROM-TO (µs, monotonic; repeatable): the load windows a benchmark logs.
  const windows: Windows = [];
  for (let i = args.indexOf('--window'); i >= 0; i = args.indexOf('--window')) {
    const [from, to] = (args[i + 1] ?? '').split('-').map(Number);
    windows.push([from as number, to as number]);
    args.splice(i, 2);
  }
  const top =
    args.length > 1 && /^\d+$/.test(args[args.length - 1] as string) ? args.pop() : undefined;
  if (!args.length) {
    console.error('usage: profile-breakdown.ts <file.cpuprofile>... [--window FROM-TO]... [top]');
    process.exit(1);
  }
  const profiles = args.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const result = breakdownOf(
    profiles,
    top ? Number(top) : 25,
    windows.length ? windows : undefined,
  );
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  console.log(
    `CPU used: ${result.totalMs.toFixed(0)} ms\n\n| layer | self CPU | share |\n|---|---:|---:|`,
  );
  for (const { layer, ms, share } of result.layers)
    if (share >= 0.005) console.log(`| ${layer} | ${ms.toFixed(0)} ms | ${pct(share)} |`);
  console.log('\n| function | layer | self CPU | share |\n|---|---|---:|---:|');
  for (const { name, layer, ms, share } of result.functions)
    console.log(`| \`${name}\` | ${layer} | ${ms.toFixed(0)} ms | ${pct(share)} |`);
}
