import { inBackground } from '../db/data-source';
import type { Logger } from '../logger';

/**
 * Background work every instance runs on a timer (sweeping dead windows' locks, pruning the
 * event log): one run at a time, failures logged, its statements kept out of request counts.
 * Safe with several instances running it at once: each job's SQL is.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Runs begun, and those that failed (/metrics). */
  runs = 0;
  failures = 0;

  constructor(
    readonly name: string,
    private readonly everyMs: number,
    private readonly run: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): this {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.runs += 1;
      this.running = inBackground(this.run)
        .then(
          () => undefined,
          (error: unknown) => {
            this.failures += 1;
            this.logger.error(`${this.name} failed`, error);
          },
        )
        .finally(() => (this.running = undefined));
    }, this.everyMs);
    this.timer.unref();
    return this;
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
