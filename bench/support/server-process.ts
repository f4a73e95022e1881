import path from 'node:path';
import type { BenchContext } from './benchmark';
import type { GcPauses } from './cpu';
import type { BaselineEvent } from './baselines/graphql-ws';
import { profileName } from './cpu-profile';
import { ChildWorker } from './ipc';
import type { LoopDelay, ServerCpu, ServerStats, StartArgs, Started } from './server-host';

/** A server under test (ours or a baseline) in a process of its own (`server-host.ts`). */
export class ServerProcess {
  private constructor(
    private readonly worker: ChildWorker,
    readonly started: Started,
  ) {}

  /**
   * Forks the host and starts its server; stopped when the benchmark ends. With
   * `BENCH_CPU_PROF=<dir>`, each server process profiles its CPU from the moment its server is up
   * until it stops, and writes `<dir>/<name>.cpuprofile` (`support/profile-breakdown.ts` sums one
   * up by layer).
   */
  static async start(
    context: BenchContext,
    name: string,
    args: StartArgs,
    /** Another copy of the repository (e.g. an earlier commit's), whose server to run instead. */
    tree?: string,
  ): Promise<ServerProcess> {
    const entry = tree
      ? path.resolve(tree, 'bench', 'support', 'server-host.ts')
      : path.join(__dirname, 'server-host.ts');
    const worker = await ChildWorker.fork(name, entry, { nodeOptions: ['--expose-gc'] });
    context.defer(() => worker.stop());
    const profileDir = process.env.BENCH_CPU_PROF;
    if (profileDir) args = { ...args, profile: { dir: profileDir, name: profileName(name) } };
    try {
      return new ServerProcess(worker, await worker.call<Started>('start', args));
    } catch (error) {
      await worker.stop();
      throw error;
    }
  }

  get name(): string {
    return this.worker.name;
  }
  get pid(): number {
    return this.worker.pid;
  }
  get running(): boolean {
    return this.worker.running;
  }
  get url(): string {
    return this.started.url;
  }
  get wsUrl(): string {
    return this.started.wsUrl;
  }
  /** Stops the server; killed when it takes longer than `graceMs` (e.g. closing many windows). */
  stop(graceMs?: number): Promise<void> {
    return this.worker.stop(graceMs);
  }

  stats(streams: string[] = []): Promise<ServerStats> {
    return this.worker.call('stats', { streams });
  }
  cpu(): Promise<ServerCpu> {
    return this.worker.call('cpu');
  }
  /** Garbage-collection pauses since the last call. */
  gcPauses(): Promise<GcPauses> {
    return this.worker.call('gcPauses');
  }
  memory(): Promise<NodeJS.MemoryUsage> {
    return this.worker.call('memory');
  }
  /** The event loop's delay since the last call (null at the first: it starts measuring). */
  loopDelay(): Promise<LoopDelay | null> {
    return this.worker.call('loopDelay');
  }
  /** ours: records when the message events of these streams reach its PubSub (`arrivals`). */
  trace(streams: string[]): Promise<void> {
    return this.worker.call('trace', { streams });
  }
  /** ours: records when each event of these streams reaches its PubSub, by seq (`seqArrival`). */
  traceSeqs(streams: string[]): Promise<void> {
    return this.worker.call('traceSeqs', { streams });
  }
  /** ours: when (hrtime, ms) event `seq` of the streams traced by seq reached its PubSub. */
  seqArrival(seq: number): Promise<number | null> {
    return this.worker.call('seqArrival', { seq });
  }
  untrace(): Promise<void> {
    return this.worker.call('untrace');
  }
  /** ours: [message id, wall-clock ms] of the traced events that arrived since the last call. */
  arrivals(): Promise<Array<[string, number]>> {
    return this.worker.call('arrivals');
  }
  /** Baseline only: publishes and answers the hrtime (ms) of the publish. */
  publish(channel: string, event: BaselineEvent): Promise<number> {
    return this.worker.call('publish', { channel, event });
  }

  /** Waits until `streams` have at least `count` live subscribers each (and sockets as many). */
  async waitForLive(streams: string[], count: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats(streams);
      if (stats.live.every((live) => live >= count)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name}: ${stats.live.join(', ')} live subscribers after ${timeoutMs / 1000} s, ` +
            `expected ${count} (sockets: ${stats.sockets})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until the server holds at most `count` sockets (closing takes it a moment). */
  async waitForSockets(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.stats()).sockets > count) {
      if (Date.now() > deadline) throw new Error(`${this.name}: sockets did not close`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
