import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import path from 'node:path';

/** The parts of a V8 CPU profile (`Profiler.stop`) a summary needs. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  /** Of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  /** Self time by package or source folder. */
  areas: ProfileShare[];
  /** Self time by function. */
  functions: ProfileShare[];
}

const ROOT = path.resolve(__dirname, '..', '..');

/** Where a function lives, as a reader names it: a package, a folder of ours, Node or V8. */
function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'V8: garbage collection';
  if (functionName === '(program)') return 'V8: (program): native code, compilation';
  if (!url) return `V8 builtin: ${functionName || '(anonymous)'}`;
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope = '', name = ''] = file.slice(modules + '/node_modules/'.length).split('/');
    return `npm: ${scope.startsWith('@') ? `${scope}/${name}` : scope}`;
  }
  if (file.startsWith('node:')) {
    const parts = file.slice('node:'.length).split('/');
    return `node: ${parts[0] === 'internal' ? parts.slice(0, 2).join('/') : parts[0]}`;
  }
  const relative = path.relative(ROOT, file);
  if (!relative.startsWith('..')) return path.dirname(relative);
  return file;
}

function where(url: string, line: number): string {
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  const short =
    modules >= 0 ? file.slice(modules + '/node_modules/'.length) : path.relative(ROOT, file);
  return `${short.startsWith('..') ? file : short}:${line + 1}`;
}

/** Self time per area and per function, idle time left out. */
export function summarizeProfile(profile: CpuProfile, file: string, top = 15): ProfileSummary {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // V8 gives each sample the time since the previous one: that time belongs to this sample.
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i + 1] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (!us || functionName === '(idle)') continue;
    busyUs += us;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${where(url, lineNumber)}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const ranked = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return { file, busyMs: busyUs / 1000, areas: ranked(areas), functions: ranked(functions) };
}

/** Samples this process's CPU (V8's profiler, in-process) between `start()` and `stop()`. */
export class CpuProfiler {
  private readonly session = new Session();

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params ?? {}, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  }

  async start(intervalUs = 250): Promise<void> {
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.post('Profiler.start');
  }

  /** Stops, writes the profile to `file` (open it in Chrome DevTools) and summarizes it. */
  async stop(file: string): Promise<ProfileSummary> {
    const { profile } = (await this.post('Profiler.stop')) as { profile: CpuProfile };
    await this.post('Profiler.disable');
    this.session.disconnect();
    await writeFile(file, JSON.stringify(profile));
    return summarizeProfile(profile, file);
  }
}

/** A host process's `profileStart` / `profileStop` calls (one profile at a time). */
export function profileHandlers() {
  let profiler: CpuProfiler | undefined;
  return {
    profileStart: async (): Promise<void> => {
      profiler = new CpuProfiler();
      await profiler.start();
    },
    profileStop: async ({ file }: { file: string }): Promise<ProfileSummary> => {
      if (!profiler) throw new Error('no profile running');
      const summary = await profiler.stop(file);
      profiler = undefined;
      return summary;
    },
  };
}
