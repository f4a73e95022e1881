import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// What `npm start` and `npx tandem` use to skip (or not) the compile.
import { isBuildCurrent } from '../../bin/build-state';

describe('npm start compiles only when a source changed since the last build', () => {
  let base: string;
  let entry: string;
  /** Seconds since the epoch: every file gets a time of the test's choosing. */
  const BUILT = 1_800_000_000;

  function file(relative: string, at: number): void {
    const full = path.join(base, relative);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, '');
    utimesSync(full, at, at);
  }

  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'tandem-build-state-'));
    entry = path.join(base, 'dist', 'src', 'main.js');
    file('src/main.ts', BUILT - 100);
    file('src/db/event-log.sql', BUILT - 100);
    file('migrations/1796000000000-Init.ts', BUILT - 100);
    file('dist/src/main.js', BUILT);
    file('dist/.tsbuildinfo.build', BUILT);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('skips it when nothing changed since the build', () => {
    expect(isBuildCurrent(entry, base)).toBe(true);
  });

  it('skips it after an incremental build that rewrote nothing (only its build info is newer)', () => {
    file('src/main.ts', BUILT + 50);
    file('dist/.tsbuildinfo.build', BUILT + 60);
    expect(isBuildCurrent(entry, base)).toBe(true);
  });

  it.each([
    ['a TypeScript source', 'src/services/new.service.ts'],
    ['a SQL definition', 'src/db/event-log.sql'],
    ['a migration', 'migrations/1796430000000-Next.ts'],
  ])('compiles when %s changed after the build', (_what, changed) => {
    file(changed, BUILT + 10);
    expect(isBuildCurrent(entry, base)).toBe(false);
  });

  it('compiles when there is no build', () => {
    rmSync(path.join(base, 'dist'), { recursive: true });
    expect(isBuildCurrent(entry, base)).toBe(false);
  });
});
