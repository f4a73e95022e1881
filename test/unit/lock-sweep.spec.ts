import { LockSweep } from '../../src/jobs/lock-sweep';

const TTL_MS = 2000;

/** A LockSweep on a clock the test moves, and a database the test takes away and brings back. */
function sweepOnAClock() {
  let now = 0;
  let reachable = true;
  const sweeps: number[] = [];
  const keptAlive: number[] = [];
  const database = async (what: string) => {
    if (!reachable) throw new Error(`${what}: the database is away`);
  };
  const sweep = new LockSweep(
    {
      sweep: async () => {
        await database('sweep');
        sweeps.push(now);
        return 0;
      },
    },
    {
      keepAliveIfOverdue: async () => {
        await database('keep-alive');
        keptAlive.push(now);
      },
    },
    () => database('reach'),
    TTL_MS,
    () => now,
  );
  /** Runs the sweep every 500 ms from now until `until`, as the periodic job does. */
  const runUntil = async (until: number) => {
    for (; now <= until; now += 500) await sweep.run().catch(() => undefined);
  };
  return {
    runUntil,
    sweeps,
    keptAlive,
    setReachable: (value: boolean) => (reachable = value),
  };
}

describe('L4: the lock sweep after a database outage', () => {
  it('sweeps on every run while the database is there, keeping its own windows alive first', async () => {
    const clock = sweepOnAClock();
    await clock.runUntil(1500);
    expect(clock.sweeps).toEqual([0, 500, 1000, 1500]);
    expect(clock.keptAlive).toEqual([0, 500, 1000, 1500]);
  });

  it('sweeps nothing until the database has been back for a whole TTL, counted from its return, not from the last failed run', async () => {
    const clock = sweepOnAClock();
    await clock.runUntil(0);
    clock.setReachable(false);
    await clock.runUntil(4000); // runs at 500 … 4000 fail
    clock.setReachable(true); // back at 4500: the first run to reach it
    await clock.runUntil(8000);
    // Counted from the last failed run (4000) it would sweep at 6000: other instances' windows
    // would have had 1.5 s, not a TTL, to be kept alive again.
    expect(clock.sweeps).toEqual([0, 6500, 7000, 7500, 8000]);
    expect(clock.keptAlive.filter((at) => at > 0)[0]).toBe(4500);
  });

  it('starts counting again when the database goes away during the wait', async () => {
    const clock = sweepOnAClock();
    clock.setReachable(false);
    await clock.runUntil(1000);
    clock.setReachable(true);
    await clock.runUntil(2000); // back at 1500; a TTL from there is 3500
    clock.setReachable(false);
    await clock.runUntil(3000);
    clock.setReachable(true);
    await clock.runUntil(6000); // back at 3500: nothing before 5500
    expect(clock.sweeps).toEqual([5500, 6000]);
  });
});
