import { AsyncQueue } from '../../src/subscriptions/async-queue';

describe('AsyncQueue (the iterator behind every subscription)', () => {
  it('hands out values in order to a consumer that waits and to one that comes late', async () => {
    const queue = new AsyncQueue<number>();
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
  });

  it('runs its cleanup once when the client returns, and ends pending reads', async () => {
    const cleanup = jest.fn();
    const queue = new AsyncQueue<number>(cleanup);
    const pending = queue.next();
    await queue.return();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(cleanup).toHaveBeenCalledTimes(1);
    queue.push(3);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('delivers a failure to the reader, then ends', async () => {
    const queue = new AsyncQueue<number>();
    const pending = queue.next();
    queue.fail(new Error('access revoked'));
    await expect(pending).rejects.toThrow('access revoked');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
