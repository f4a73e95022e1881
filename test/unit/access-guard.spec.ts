import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ForbiddenError } from '../../src/errors/domain-error';
import { createLogger } from '../../src/logger';
import { AccessWatch, type StreamAccess } from '../../src/subscriptions/access-watch';
import type { PubSubEngine } from '../../src/subscriptions/pubsub';

// A full collection on demand, to see what a guarded stream still holds.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** A stream a test feeds by hand; a `next` waits until an event is pushed. */
class Source implements AsyncIterableIterator<object> {
  private waiting: ((result: IteratorResult<object>) => void) | undefined;
  private readonly queued: object[] = [];

  push(event: object): void {
    const resolve = this.waiting;
    this.waiting = undefined;
    if (resolve) resolve({ value: event, done: false });
    else this.queued.push(event);
  }

  next(): Promise<IteratorResult<object>> {
    const event = this.queued.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<object>> {
    this.waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<object> {
    return this;
  }
}

function guarded(recheck: () => Promise<number> = async () => 1) {
  const watch = new AccessWatch({} as PubSubEngine, createLogger('silent'));
  const source = new Source();
  const access: StreamAccess = { staffId: 'staff-1', notices: 0, generation: 1, recheck };
  return { watch, source, stream: watch.guard(source, access) };
}

describe('a guarded stream (17.8, the per-event access check)', () => {
  it('17.8: a guarded stream keeps no event it delivered: a long-lived spy or console stream does not grow with its traffic', async () => {
    const { source, stream } = guarded();
    const delivered: Array<WeakRef<object>> = [];
    for (let i = 0; i < 200; i++) {
      const event = { seq: i, payload: new Uint8Array(64 * 1024) };
      delivered.push(new WeakRef(event));
      source.push(event);
      expect((await stream.next()).value).toBe(event);
    }
    // The client waits for the next event, as graphql-ws does between events.
    const waiting = stream.next();
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    const held = delivered.filter((ref) => ref.deref() !== undefined).length;
    expect(held).toBeLessThanOrEqual(1);
    await stream.return?.();
    await waiting;
  });

  it('17.8: a client waiting for an event gets FORBIDDEN as soon as the access goes, with no event', async () => {
    let allowed = true;
    const { watch, stream } = guarded(async () => {
      if (!allowed) throw new ForbiddenError('No longer a member');
      return 2;
    });
    const waiting = stream.next();
    allowed = false;
    watch.notice('staff-1');
    await expect(waiting).rejects.toBeInstanceOf(ForbiddenError);
    await expect(stream.next()).rejects.toBeInstanceOf(ForbiddenError);
    expect(watch.size).toBe(0);
  });
});
