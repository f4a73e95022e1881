import { CoalescedRuns } from '../../src/util/coalesced-runs';

/** Work that stays under way until released, counting how often it started. */
function gatedWork() {
  const releases: Array<() => void> = [];
  let started = 0;
  const work = () => {
    started += 1;
    return new Promise<number>((resolve) => releases.push(() => resolve(1)));
  };
  const releaseNext = async () => {
    while (!releases.length) await new Promise((resolve) => setImmediate(resolve));
    releases.shift()!();
  };
  return { work, releaseNext, started: () => started };
}

describe('CoalescedRuns (one drain per inbox at a time)', () => {
  it('runs calls made while a run is under way as one more run after it, which they all wait for', async () => {
    const runs = new CoalescedRuns<number>((a, b) => a + b);
    const { work, releaseNext, started } = gatedWork();
    const first = runs.run('inbox', work);
    const joined = [runs.run('inbox', work), runs.run('inbox', work), runs.run('inbox', work)];
    expect(started()).toBe(1);
    await releaseNext();
    await releaseNext(); // the one more run the three joiners asked for
    expect(await first).toBe(2);
    expect(await Promise.all(joined)).toEqual([2, 2, 2]);
    expect(started()).toBe(2);
  });

  it('starts afresh once a run has ended, and keeps keys apart', async () => {
    const runs = new CoalescedRuns<number>((a, b) => a + b);
    const { work, releaseNext, started } = gatedWork();
    const one = runs.run('one', work);
    const other = runs.run('other', work);
    expect(started()).toBe(2);
    await releaseNext();
    await releaseNext();
    expect([await one, await other]).toEqual([1, 1]);
    const again = runs.run('one', work);
    expect(started()).toBe(3);
    await releaseNext();
    expect(await again).toBe(1);
  });

  it('hands a failure to every caller of the run and lets the next call start a new one', async () => {
    const runs = new CoalescedRuns<number>((a, b) => a + b);
    const failing = runs.run('inbox', () => Promise.reject(new Error('database gone')));
    const joined = runs.run('inbox', () => Promise.resolve(5));
    await expect(failing).rejects.toThrow('database gone');
    await expect(joined).rejects.toThrow('database gone');
    expect(await runs.run('inbox', () => Promise.resolve(7))).toBe(7);
  });

  it('settles once every run under way has ended, failed ones too', async () => {
    const runs = new CoalescedRuns<number>((a, b) => a + b);
    const { work, releaseNext } = gatedWork();
    const ok = runs.run('inbox', work);
    const failed = runs.run('other', () => Promise.reject(new Error('down'))).catch(() => 'failed');
    let settled = false;
    const settling = runs.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await releaseNext();
    await settling;
    expect(await ok).toBe(1);
    expect(await failed).toBe('failed');
  });
});
