#!/usr/bin/env node
// The operator CLI. Runs the compiled build (made by `npm ci` through `prepare`) when it is up to
// date. In a checkout whose TypeScript or SQL definitions changed since the last build, or that
// has none, it runs the source compiled on the fly: stale code must never touch a database.
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'tandem.js');
const source = path.join(root, 'src', 'cli', 'tandem.ts');

/** The newest modification time of the `.ts` and `.sql` files under `dir`, 0 when there are none. */
function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (/\.(ts|sql)$/.test(entry.name)) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * When the last build ran (tsc is incremental: unchanged outputs keep their old time; the SQL
 * definitions it copies take the time of the copy).
 */
function builtAt() {
  const info = path.join(root, 'dist', '.tsbuildinfo.build');
  return Math.max(
    statSync(built).mtimeMs,
    existsSync(info) ? statSync(info).mtimeMs : 0,
    newestSource(path.join(root, 'dist', 'src')),
  );
}

function canCompile() {
  try {
    require.resolve('@swc-node/register');
    return existsSync(source);
  } catch {
    return false;
  }
}

const upToDate =
  existsSync(built) &&
  Math.max(newestSource(path.join(root, 'src')), newestSource(path.join(root, 'migrations'))) <=
    builtAt();

if (upToDate || (existsSync(built) && !canCompile())) {
  if (!upToDate) console.error('tandem: warning: dist/ is older than src/; run `npm run build`');
  require(built);
} else if (canCompile()) {
  require('@swc-node/register');
  require(source);
} else {
  console.error('tandem: no build in dist/ and no TypeScript toolchain: run `npm ci`');
  process.exit(1);
}
