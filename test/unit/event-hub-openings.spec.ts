/**
 * Issue 19, item 5 (reconnect storm): a subscription's first read (its snapshot, or the
 * stream's position from the log) waits its turn in the opening lane with the other socket
 * openings, named by the event hub rather than found from the pool's checkouts.
 */
import { OpeningLane } from '../../src/db/opening-lane';
import { createLogger } from '../../src/logger';
import { EventHub, type StreamSnapshot } from '../../src/subscriptions/event-hub';
import type { EventLogReader } from '../../src/subscriptions/event-log';
import { InProcessPubSub } from '../../src/subscriptions/pubsub';

const log = { lastSeq: async () => 0, readPage: async () => [] } as unknown as EventLogReader;

/** Snapshot reads that say how many ran at once, and which ran. */
function snapshots() {
  let running = 0;
  let most = 0;
  const ran: string[] = [];
  const read = (name: string) => async (): Promise<StreamSnapshot> => {
    running += 1;
    most = Math.max(most, running);
    ran.push(name);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running -= 1;
    return { seq: 0, payload: { name } };
  };
  return { read, most: () => most, ran };
}

describe('the event hub takes turns in the opening lane (issue 19, item 5)', () => {
  it('19.5 the snapshots of many subscriptions are read as many at a time as the lane has slots, and each is delivered first', async () => {
    const lane = new OpeningLane(2, 10_000);
    const hub = new EventHub(new InProcessPubSub(), log, createLogger('silent'), lane);
    const { read, most, ran } = snapshots();
    const streams = Array.from({ length: 6 }, (_, i) =>
      hub.subscribe(`s${i}`, { snapshot: read(`s${i}`) }),
    );
    const firsts = await Promise.all(streams.map((stream) => stream.next()));
    expect(firsts.map((first) => first.value?.payload)).toEqual(
      Array.from({ length: 6 }, (_, i) => ({ name: `s${i}` })),
    );
    expect(ran).toHaveLength(6);
    expect(most()).toBe(2);
    await Promise.all(streams.map((stream) => stream.return?.()));
  });

  it('19.5 a subscription that ended while its first read waited for a turn never reads (the lane skips it)', async () => {
    const lane = new OpeningLane(1, 10_000);
    const hub = new EventHub(new InProcessPubSub(), log, createLogger('silent'), lane);
    const { read, ran } = snapshots();
    const kept = hub.subscribe('kept', { snapshot: read('kept') });
    const gone = hub.subscribe('gone', { snapshot: read('gone') });
    const last = hub.subscribe('last', { snapshot: read('last') });
    await new Promise((resolve) => setImmediate(resolve)); // all three have asked for a turn
    await gone.return?.();
    await Promise.all([kept.next(), last.next()]);
    expect(ran).toEqual(['kept', 'last']);
    expect(lane.abandoned).toBe(1);
    await Promise.all([kept.return?.(), last.return?.()]);
  });
});
