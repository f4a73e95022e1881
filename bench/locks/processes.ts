import path from 'node:path';
import type { BenchContext } from '../support/benchmark';
import { HostedServer } from '../support/hosted-server';
import { ChildWorker } from '../support/ipc';
import type { BaselineEvent } from '../support/baselines/graphql-ws';
import type { ServerCpu, ServerStats, StartArgs, Started } from './server-host';
import type {
  ConnectArgs,
  ConnectOutcome,
  Operation,
  Receipt,
  WatcherStats,
} from './watcher-worker';

/** A server under test in its own process (bench/locks/server-host.ts). */
export class ServerProcess extends HostedServer<Started> {
  static async start(context: BenchContext, name: string, args: StartArgs): Promise<ServerProcess> {
    const { worker, started } = await HostedServer.launch<Started>(
      context,
      name,
      path.join(__dirname, 'server-host.ts'),
      args,
      ['--expose-gc'],
    );
    return new ServerProcess(worker, started);
  }

  stats(streams: string[] = []): Promise<ServerStats> {
    return this.worker.call('stats', { streams });
  }
  cpu(): Promise<ServerCpu> {
    return this.worker.call('cpu');
  }
  memory(): Promise<NodeJS.MemoryUsage> {
    return this.worker.call('memory');
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

/** A crowd of graphql-ws clients in its own process (bench/locks/watcher-worker.ts). */
export class WatcherProcess {
  private readonly receipts: Receipt[] = [];
  private waiter: ((receipt: Receipt) => void) | undefined;

  private constructor(private readonly worker: ChildWorker) {
    worker.on('receipt', (data) => {
      const receipt = data as Receipt;
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter) waiter(receipt);
      else this.receipts.push(receipt);
    });
  }

  static async start(context: BenchContext, name: string): Promise<WatcherProcess> {
    const worker = await ChildWorker.fork(name, path.join(__dirname, 'watcher-worker.ts'));
    context.defer(() => worker.stop());
    return new WatcherProcess(worker);
  }

  get pid(): number {
    return this.worker.pid;
  }

  connect(
    wsUrl: string,
    tokens: string[],
    count: number,
    operations: Operation[],
    concurrency = 50,
  ): Promise<ConnectOutcome> {
    return this.worker.call('connect', {
      wsUrl,
      tokens,
      count,
      concurrency,
      operations,
    } satisfies ConnectArgs);
  }
  stats(): Promise<WatcherStats> {
    return this.worker.call('stats');
  }
  cpuUs(): Promise<number> {
    return this.worker.call('cpu');
  }
  closeAll(): Promise<void> {
    return this.worker.call('closeAll');
  }

  /** The next event every socket has received; fails after `timeoutMs` with what is missing. */
  async nextReceipt(timeoutMs: number): Promise<Receipt> {
    const ready = this.receipts.shift();
    if (ready) return ready;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<Receipt>((resolve, reject) => {
        this.waiter = resolve;
        timer = setTimeout(() => {
          this.waiter = undefined;
          void this.stats().then(
            (stats) =>
              reject(
                new Error(
                  `no event reached every watcher within ${timeoutMs} ms: ${JSON.stringify(stats)}`,
                ),
              ),
            reject,
          );
        }, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Events received before a measurement starts are not its own. */
  discardReceipts(): void {
    this.receipts.length = 0;
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }
}
