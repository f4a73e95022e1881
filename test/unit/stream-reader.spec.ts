import type { EventLogReader } from '../../src/subscriptions/event-log';
import type { EventEnvelope } from '../../src/subscriptions/pubsub';
import { LIVE_BUFFER, StreamReader } from '../../src/subscriptions/stream-reader';

const PAGE = 3;

/** A log of `length` events, read PAGE at a time, that counts what it hands out. */
function fakeLog(length: number) {
  const event = (seq: number): EventEnvelope => ({ stream: 's', seq, at: '', payload: { seq } });
  const reads: Array<[number, number]> = [];
  const log = {
    lastSeq: async () => length,
    readPage: async (_stream: string, after: number, upTo: number) => {
      reads.push([after, upTo]);
      const last = Math.min(upTo, after + PAGE, length);
      return Array.from({ length: Math.max(0, last - after) }, (_, i) => event(after + 1 + i));
    },
  };
  return { log: log as unknown as EventLogReader, reads, event, grow: (n: number) => (length = n) };
}

const link = (log: EventLogReader) => ({
  join: async () => {},
  position: () => log.lastSeq('s'),
  started: () => {},
  leave: jest.fn(),
});

describe('StreamReader (a subscriber: replay page by page, then live)', () => {
  it('reads a resume replay from the log one page at a time, only as the client takes events', async () => {
    const { log, reads } = fakeLog(100);
    const reader = new StreamReader('s', log, { after: 0 }, link(log));
    expect((await reader.next()).value?.seq).toBe(1);
    expect(reads).toEqual([[0, 100]]); // one page, not the history
    for (let seq = 2; seq <= 7; seq++) expect((await reader.next()).value?.seq).toBe(seq);
    expect(reads).toHaveLength(3);
  });

  it('keeps at most LIVE_BUFFER live events for a client that does not read, and reads the rest from the log', async () => {
    const { log, reads, event, grow } = fakeLog(0);
    const reader = new StreamReader('s', log, {}, link(log));
    const first = reader.next(); // the client waits for a live event
    await new Promise((resolve) => setImmediate(resolve)); // the reader has started
    const total = LIVE_BUFFER + 10;
    grow(total);
    for (let seq = 1; seq <= total; seq++) reader.event(event(seq));
    expect((await first).value?.seq).toBe(1);
    expect(reads).toEqual([]); // so far, live events only
    const seqs: number[] = [];
    for (let i = 1; i < total; i++) seqs.push((await reader.next()).value!.seq);
    expect(seqs).toEqual(Array.from({ length: total - 1 }, (_, i) => i + 2));
    expect(reads.length).toBeGreaterThan(0); // past the buffer, from the log
    expect(reads[0]![0]).toBeGreaterThanOrEqual(LIVE_BUFFER);
  });

  it('hands a waiting client the events a lost publish skipped, from the log, before the live one', async () => {
    const { log, reads, event, grow } = fakeLog(2);
    const reader = new StreamReader('s', log, {}, link(log));
    await new Promise((resolve) => setImmediate(resolve)); // started: live from seq 2
    const waiting = reader.next();
    grow(5);
    reader.event(event(5)); // 3 and 4 never came
    expect((await waiting).value?.seq).toBe(3);
    expect((await reader.next()).value?.seq).toBe(4);
    expect((await reader.next()).value?.seq).toBe(5);
    expect(reads).toEqual([[2, 5]]);
    const next = reader.next();
    reader.event(event(6));
    expect((await next).value?.seq).toBe(6);
    expect(reads).toHaveLength(1); // live again: no read
  });

  it('ends a client waiting for a live event when it completes', async () => {
    const { log } = fakeLog(0);
    const reader = new StreamReader('s', log, {}, link(log));
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = reader.next();
    await reader.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
  });

  it('leaves its channel once, when the client completes', async () => {
    const { log } = fakeLog(0);
    const channel = link(log);
    const reader = new StreamReader('s', log, {}, channel);
    await reader.return();
    await reader.return();
    expect(channel.leave).toHaveBeenCalledTimes(1);
    expect(await reader.next()).toEqual({ value: undefined, done: true });
  });
});
