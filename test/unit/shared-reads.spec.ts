import { SharedReads } from '../../src/util/shared-reads';

/** Reads that stay under way until released; each answers the number of reads started before it. */
function gatedReads() {
  const releases: Array<(fail?: boolean) => void> = [];
  let started = 0;
  const work = () => {
    started += 1;
    const mine = started;
    return new Promise<number>((resolve, reject) =>
      releases.push((fail) => (fail ? reject(new Error(`read ${mine} failed`)) : resolve(mine))),
    );
  };
  const releaseNext = async (fail = false) => {
    while (!releases.length) await new Promise((resolve) => setImmediate(resolve));
    releases.shift()!(fail);
  };
  return { work, releaseNext, started: () => started };
}

describe('SharedReads (one snapshot read per inbox for every console arriving meanwhile)', () => {
  it('answers each call with the first read that started after it: calls made during a read share the next one', async () => {
    const reads = new SharedReads<number>();
    const { work, releaseNext, started } = gatedReads();
    const first = reads.read('inbox', work);
    const during = [
      reads.read('inbox', work),
      reads.read('inbox', work),
      reads.read('inbox', work),
    ];
    expect(started()).toBe(1);
    await releaseNext();
    expect(await first).toBe(1);
    // The read that started before them is not theirs: one more read, shared by the three.
    await releaseNext();
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
    expect(started()).toBe(2);
  });

  it('a call made while the shared read waits to start joins it; one made once it started waits for another', async () => {
    const reads = new SharedReads<number>();
    const { work, releaseNext, started } = gatedReads();
    const first = reads.read('inbox', work);
    const second = reads.read('inbox', work);
    await releaseNext();
    await first;
    // Not begun yet (it begins once the first read's callers were answered): a call now shares it.
    expect(started()).toBe(1);
    const sharing = reads.read('inbox', work);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started()).toBe(2);
    const joined = reads.read('inbox', work); // the second read is under way: one more for this
    await releaseNext();
    expect(await second).toBe(2);
    expect(await sharing).toBe(2);
    await releaseNext();
    expect(await joined).toBe(3);
    // Nothing under way: the next call starts a read of its own at once.
    const fresh = reads.read('inbox', work);
    expect(started()).toBe(4);
    await releaseNext();
    expect(await fresh).toBe(4);
  });

  it('keeps keys apart, and a failed read fails only the calls it answers', async () => {
    const reads = new SharedReads<number>();
    const { work, releaseNext, started } = gatedReads();
    const one = reads.read('one', work);
    const other = reads.read('other', work);
    const later = reads.read('one', work);
    expect(started()).toBe(2);
    await releaseNext(true);
    await expect(one).rejects.toThrow('read 1 failed');
    await releaseNext();
    expect(await other).toBe(2);
    await releaseNext();
    expect(await later).toBe(3);
  });

  it('a read that throws before it returns a promise fails its calls, and the key is usable again', async () => {
    const reads = new SharedReads<number>();
    await expect(
      reads.read('inbox', () => {
        throw new Error('no connection');
      }),
    ).rejects.toThrow('no connection');
    expect(await reads.read('inbox', () => Promise.resolve(7))).toBe(7);
  });
});
