import path from 'node:path';
import type { BenchContext } from '../support/benchmark';
import { ChildWorker } from '../support/ipc';
import type { AgentSpec, AgentsStats, Dispatcher, LatencyResult } from './agents-worker';

/** The agents' consoles and the dispatcher, in their own process (bench/routing/agents-worker.ts). */
export class AgentsProcess {
  private constructor(private readonly worker: ChildWorker) {}

  static async start(context: BenchContext, name: string): Promise<AgentsProcess> {
    const worker = await ChildWorker.fork(name, path.join(__dirname, 'agents-worker.ts'));
    context.defer(() => worker.stop());
    return new AgentsProcess(worker);
  }

  get pid(): number {
    return this.worker.pid;
  }

  connect(agents: AgentSpec[]): Promise<void> {
    return this.worker.call('connect', { agents });
  }
  /** Every agent sets its status over HTTP; answers the milliseconds it took. */
  setStatus(status: 'ONLINE' | 'AWAY'): Promise<number> {
    return this.worker.call('setStatus', { status });
  }
  /** While on, agents close each conversation as soon as its ASSIGNED event arrives. */
  setClosing(on: boolean): Promise<void> {
    return this.worker.call('setClosing', { on });
  }

  /** Closes the conversations assigned while closing was off. */
  closeHeld(concurrency: number): Promise<number> {
    return this.worker.call('closeHeld', { concurrency });
  }
  startMany(
    dispatcher: Dispatcher,
    count: number,
    concurrency: number,
  ): Promise<{ elapsedMs: number }> {
    return this.worker.call('startMany', { dispatcher, count, concurrency });
  }
  latency(dispatcher: Dispatcher, samples: number): Promise<LatencyResult> {
    return this.worker.call('latency', { dispatcher, samples });
  }
  forgetArrivals(): Promise<void> {
    return this.worker.call('forgetArrivals');
  }
  stats(): Promise<AgentsStats> {
    return this.worker.call('stats');
  }
  stop(): Promise<void> {
    return this.worker.stop();
  }
}
