import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';

/** Linux reports process CPU times in clock ticks; USER_HZ is 100 on every mainstream build. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) this process has used, in microseconds. */
export function ownCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** CPU time the whole machine has been busy (all CPUs, every process), in microseconds. */
export function machineBusyUs(): number {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest is in user)
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1e6) / TICKS_PER_SECOND;
}

/**
 * CPU time (user + system) of a process and all its descendants, in microseconds, read from
 * /proc (e.g. a postmaster and its backends). Descendants that ended count once reaped by a
 * process of the tree (its cutime/cstime), as a postmaster does for its backends: so the total
 * never drops when a backend exits, wherever the postmaster sits in the tree.
 */
export function processTreeCpuUs(rootPid: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    // "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    parents.set(pid, Number(fields[1]));
    // utime, stime, and cutime, cstime: children it has waited for (ended ones only, so that
    // with every process of the tree summed, each ended descendant counts once)
    const reaped = Number(fields[13]) + Number(fields[14]);
    ticks.set(pid, Number(fields[11]) + Number(fields[12]) + reaped);
  }
  const inTree = (pid: number): boolean => {
    for (let current = pid; current > 1; current = parents.get(current) ?? 0) {
      if (current === rootPid) return true;
    }
    return false;
  };
  let total = 0;
  for (const [pid, used] of ticks) if (inTree(pid)) total += used;
  return (total * 1e6) / TICKS_PER_SECOND;
}

/** Garbage-collection pauses of a process over a window (`startGcClock().takePauses()`). */
export interface GcPauses {
  count: number;
  /** The longest single pause (ms), and how many took 10 ms or more. */
  maxMs: number;
  over10ms: number;
  /** Pauses by kind of collection: minor (scavenge) and major (mark-compact), in ms. */
  minorMs: number;
  majorMs: number;
}

/**
 * Total time this process has spent in garbage collection since the call, in microseconds
 * (pauses on the main thread, as `perf_hooks` reports them), and its pauses since the last
 * `takePauses()`. Call `stop()` when done.
 */
export function startGcClock(): { totalUs(): number; takePauses(): GcPauses; stop(): void } {
  let totalMs = 0;
  const empty = (): GcPauses => ({ count: 0, maxMs: 0, over10ms: 0, minorMs: 0, majorMs: 0 });
  let pauses = empty();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      totalMs += entry.duration;
      pauses.count += 1;
      pauses.maxMs = Math.max(pauses.maxMs, entry.duration);
      if (entry.duration >= 10) pauses.over10ms += 1;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) pauses.minorMs += entry.duration;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) pauses.majorMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    totalUs: () => totalMs * 1000,
    takePauses: () => {
      const taken = pauses;
      pauses = empty();
      return taken;
    },
    stop: () => observer.disconnect(),
  };
}

/** The share of the whole machine (all CPUs) busy over the next `windowMs`. */
export async function machineBusyShare(windowMs = 1000): Promise<number> {
  const before = machineBusyUs();
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const elapsedUs = Number(process.hrtime.bigint() - start) / 1000;
  return (machineBusyUs() - before) / (elapsedUs * os.cpus().length);
}

/**
 * Waits until the machine is nearly idle (busy below `share` over a second), for at most
 * `maxWaitMs`: on a shared machine, someone else's test run would otherwise be measured too.
 * Call it while the benchmark itself is idle. Returns the last busy share seen.
 */
export async function waitForQuietMachine(
  log: (message: string) => void,
  { share = 0.1, maxWaitMs = 120_000 } = {},
): Promise<number> {
  // BENCH_QUIET_WAIT_SECONDS overrides the wait (0: none) on a machine that is never quiet.
  const override = process.env.BENCH_QUIET_WAIT_SECONDS;
  const waitMs = override === undefined ? maxWaitMs : Number(override) * 1000;
  const deadline = Date.now() + waitMs;
  let busy = await machineBusyShare();
  if (busy < share) return busy;
  log(
    `the machine is ${Math.round(busy * 100)}% busy with other processes: waiting up to ` +
      `${Math.round(waitMs / 1000)} s for it to calm down`,
  );
  while (busy >= share && Date.now() < deadline) busy = await machineBusyShare();
  log(busy < share ? 'quiet again' : `still ${Math.round(busy * 100)}% busy: measuring anyway`);
  return busy;
}
