import { inBackground } from '../../db/data-source';
import type { Logger } from '../../logger';
import type { LockService } from './lock.service';

/**
 * Runs on every instance: releases the locks of windows that stopped being seen (a crashed
 * browser, a crashed instance) shortly after the TTL. Concurrent sweepers split the work.
 */
export class LockSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly locks: LockService,
    private readonly logger: Logger,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= inBackground(() => this.sweep()).finally(() => (this.running = undefined)); // one at a time
    }, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async sweep(): Promise<void> {
    try {
      const released = await this.locks.sweep();
      if (released) this.logger.debug(`released ${released} lock(s) of windows that went away`);
    } catch (error) {
      this.logger.error('lock sweep failed', error);
    }
  }
}
