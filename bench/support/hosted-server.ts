import type { BenchContext } from './benchmark';
import { ChildWorker } from './ipc';
import type { ProfileSummary } from './profile';

/** What a host script answers to `start`: where its server listens. */
export interface HostedStarted {
  url: string;
  wsUrl: string;
}

/**
 * A server under test in a process of its own, run by a host script (`bench/<name>/server-host.ts`)
 * that answers `start`, `profileStart`, `profileStop` and more; stopped when the benchmark ends.
 * Each benchmark's subclass adds the calls of its own host.
 */
export class HostedServer<Started extends HostedStarted> {
  protected constructor(
    protected readonly worker: ChildWorker,
    readonly started: Started,
  ) {}

  /** Forks `entry` and starts its server with `args`; the process is stopped if that fails. */
  protected static async launch<S>(
    context: BenchContext,
    name: string,
    entry: string,
    args: unknown,
    nodeOptions: string[] = [],
  ): Promise<{ worker: ChildWorker; started: S }> {
    const worker = await ChildWorker.fork(name, entry, { nodeOptions });
    context.defer(() => worker.stop());
    try {
      return { worker, started: await worker.call<S>('start', args) };
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

  profileStart(): Promise<void> {
    return this.worker.call('profileStart');
  }
  profileStop(file: string): Promise<ProfileSummary> {
    return this.worker.call('profileStop', { file });
  }

  /** Stops the server; killed when it takes longer than `graceMs` (e.g. closing many windows). */
  stop(graceMs?: number): Promise<void> {
    return this.worker.stop(graceMs);
  }
}
