#!/usr/bin/env node
// The operator CLI. Runs the compiled build (made by `npm ci` through `prepare`); from a source
// checkout without a build it compiles on the fly.
const { existsSync } = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'src', 'cli', 'tandem.js');
if (existsSync(built)) {
  require(built);
} else {
  require('@swc-node/register');
  require(path.join(__dirname, '..', 'src', 'cli', 'tandem.ts'));
}
