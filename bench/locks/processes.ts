import path from 'node:path';
import type { BenchContext } from '../support/benchmark';
import { ChildWorker } from '../support/ipc';
import type {
  ConnectArgs,
  ConnectOutcome,
  Operation,
  Receipt,
  WatcherStats,
} from './watcher-worker';

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
