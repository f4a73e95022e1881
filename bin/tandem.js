#!/usr/bin/env node
// The operator CLI. Runs the compiled build (made by `npm ci` through `prepare`) when it is up to
// date. In a checkout whose TypeScript or SQL definitions changed since the last build, or that
// has none, it runs the source compiled on the fly: stale code must never touch a database.
const { existsSync } = require('node:fs');
const path = require('node:path');
const { root, isBuildCurrent } = require('./build-state');

const built = path.join(root, 'dist', 'src', 'cli', 'tandem.js');
const source = path.join(root, 'src', 'cli', 'tandem.ts');

function canCompile() {
  try {
    require.resolve('@swc-node/register');
    return existsSync(source);
  } catch {
    return false;
  }
}

const upToDate = isBuildCurrent(built);

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
