import { WriteBatcher } from '../../src/util/write-batcher';

/**
 * A write that stays under way until released (or failed), recording each batch it was given;
 * released, it answers each item with ten times itself.
 */
function gatedWrite() {
  const batches: number[][] = [];
  const gates: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const write = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve, reject) =>
      gates.push({ resolve: () => resolve(items.map((item) => item * 10)), reject }),
    );
  };
  const next = async () => {
    while (!gates.length) await new Promise((resolve) => setImmediate(resolve));
    return gates.shift()!;
  };
  return { write, batches, next };
}

describe('WriteBatcher (webhooks stored a batch per statement when they arrive together)', () => {
  it('writes an item at once when nothing is under way, and what arrives meanwhile together next', async () => {
    const { write, batches, next } = gatedWrite();
    const batcher = new WriteBatcher(write, { maxBatch: 10, maxInFlight: 1 });
    const first = batcher.add(1);
    expect(batches).toEqual([[1]]);
    const later = [batcher.add(2), batcher.add(3), batcher.add(4)];
    expect(batches).toEqual([[1]]);
    (await next()).resolve();
    await first;
    expect(batches).toEqual([[1], [2, 3, 4]]);
    (await next()).resolve();
    // Each item is answered with what the write said of it, not of its batch.
    expect(await Promise.all([first, ...later])).toEqual([10, 20, 30, 40]);
  });

  it('keeps up to maxInFlight writes under way, and no batch larger than maxBatch', async () => {
    const { write, batches, next } = gatedWrite();
    const batcher = new WriteBatcher(write, { maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5, 6].map((item) => batcher.add(item));
    expect(batches).toEqual([[1], [2]]);
    (await next()).resolve();
    await all[0];
    expect(batches).toEqual([[1], [2], [3, 4]]);
    (await next()).resolve();
    await all[1];
    expect(batches).toEqual([[1], [2], [3, 4], [5, 6]]);
    (await next()).resolve();
    (await next()).resolve();
    await Promise.all(all);
  });

  it('fails every item of a failed batch, and only those; the next batch is written', async () => {
    const { write, batches, next } = gatedWrite();
    const batcher = new WriteBatcher(write, { maxBatch: 10, maxInFlight: 1 });
    const first = batcher.add(1);
    const failing = [batcher.add(2), batcher.add(3)].map((p) => p.then(() => 'stored', String));
    (await next()).resolve();
    await first;
    (await next()).reject(new Error('database away'));
    expect(await Promise.all(failing)).toEqual(['Error: database away', 'Error: database away']);
    const after = batcher.add(4);
    expect(batches).toEqual([[1], [2, 3], [4]]);
    (await next()).resolve();
    await expect(after).resolves.toBe(40);
  });
});
