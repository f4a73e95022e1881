import type { DataSource } from 'typeorm';
import { CoalescedRuns } from '../util/coalesced-runs';
import { sequenceStream, stalePendingStreams } from './event-store';
import type { EventEnvelope } from './events';

/** Pending events older than this have lost their sequencer (its instance went away). */
const STALE_AFTER = '1 second';

/**
 * Numbers the events a statement logged unnumbered (a lock operation: tandem_append_pending)
 * once it has committed, and publishes them. One run per stream at a time on each instance:
 * writers that commit while it runs join its next round, so one run (and one commit) numbers the
 * events of many operations.
 */
export class StreamSequencer {
  private readonly runs = new CoalescedRuns<void>(() => undefined);

  constructor(
    private readonly dataSource: DataSource,
    private readonly publish: (events: EventEnvelope[]) => void,
  ) {}

  /** Resolves once every event committed on the stream before the call is numbered and handed to the PubSub. */
  sequence(stream: string): Promise<void> {
    return this.runs.run(stream, async () => {
      const events = await sequenceStream(this.dataSource, stream);
      if (events.length) this.publish(events);
    });
  }

  /** Resolves once the runs under way have ended (before the database goes, when stopping). */
  settled(): Promise<void> {
    return this.runs.settled();
  }

  /** Numbers what other instances logged and never numbered; answers how many streams had some. */
  async sequenceStale(): Promise<number> {
    const streams = await stalePendingStreams(this.dataSource, STALE_AFTER);
    await Promise.all(streams.map((stream) => this.sequence(stream)));
    return streams.length;
  }
}
