import v8 from 'node:v8';
import vm from 'node:vm';
import { AccessWatch, type StreamAccess } from '../../src/subscriptions/access-watch';
import type { PubSubEngine } from '../../src/subscriptions/pubsub';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** An endless stream whose events are there at once (a busy inbox). */
function busyStream(): AsyncIterableIterator<number> {
  let n = 0;
  const stream: AsyncIterableIterator<number> = {
    next: () => Promise.resolve({ value: (n += 1), done: false }),
    return: () => Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

/** A stream with no traffic: its `next` never settles. */
function quietStream(): AsyncIterableIterator<number> {
  const stream: AsyncIterableIterator<number> = {
    next: () => new Promise(() => undefined),
    return: () => Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

function access(recheck: () => Promise<number>): StreamAccess {
  return { staffId: 'staff-1', notices: 0, generation: 1, recheck };
}

describe('AccessWatch (a stream ends once its access is gone, 17.8)', () => {
  const watch = new AccessWatch({} as PubSubEngine, {} as never);

  it('17.8: a guarded stream keeps nothing per event it hands out (a console subscribed all day)', async () => {
    const guarded = watch.guard(
      busyStream(),
      access(async () => 1),
    );
    const retained = async (events: number) => {
      collectGarbage();
      const before = process.memoryUsage().heapUsed;
      for (let n = 0; n < events; n++) await guarded.next();
      collectGarbage();
      return (process.memoryUsage().heapUsed - before) / events;
    };
    await retained(10_000); // code compiled, heap settled
    // Racing each `next` with one promise that lives as long as the stream kept ~350 bytes an event.
    expect(await retained(100_000)).toBeLessThan(40);
    await guarded.return?.();
  });

  it("17.8: a `next` waiting on a quiet stream ends with the check's error once the access is gone", async () => {
    const forbidden = new Error('FORBIDDEN');
    const guarded = watch.guard(
      quietStream(),
      access(() => Promise.reject(forbidden)),
    );
    const waiting = guarded.next();
    watch.notice('staff-1');
    await expect(waiting).rejects.toBe(forbidden);
    await expect(guarded.next()).rejects.toBe(forbidden);
  });
});
