import type { DataSource } from 'typeorm';
import { preparedQuery } from '../db/prepared';
import { CoalescedRuns } from '../util/coalesced-runs';
import type { EventEnvelope } from './pubsub';

/** Pending events older than this have lost their sequencer (its instance went away). */
const STALE_AFTER = '1 second';

/**
 * Numbers the events that writers logged unnumbered (lock operations: migration
 * LockEventsSequencedAfterCommit) once they have committed, and publishes them. One run per
 * stream at a time on each instance: writers that commit while it runs join its next round, so
 * one run (and one commit) numbers the events of many operations.
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
      const [row] = await preparedQuery<{ events: EventEnvelope[] }>(
        this.dataSource,
        'SELECT tandem_sequence_stream($1) AS events',
        [stream],
      );
      if (row?.events.length) this.publish(row.events);
    });
  }

  /** Resolves once the runs under way have ended (before the database goes, when stopping). */
  settled(): Promise<void> {
    return this.runs.settled();
  }

  /** Numbers what other instances logged and never numbered; answers how many streams had some. */
  async sequenceStale(): Promise<number> {
    const rows = await preparedQuery<{ stream: string }>(
      this.dataSource,
      'SELECT tandem_stale_pending_streams($1) AS stream',
      [STALE_AFTER],
    );
    await Promise.all(rows.map((row) => this.sequence(row.stream)));
    return rows.length;
  }
}
