const fs = require('node:fs');

const swc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));

/** @type {import('jest').Config} */
module.exports = {
  // TANDEM_TEST_HANDLES=<file>: log what each test file leaves open (test/setup/handle-log-environment.ts).
  testEnvironment: process.env.TANDEM_TEST_HANDLES
    ? '<rootDir>/test/setup/handle-log-environment.ts'
    : 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 30_000,
  maxWorkers: 2,
  // jest gives a worker 500 ms to exit once the run is over, then kills it and prints "A worker
  // process has failed to exit gracefully". Our workers end with nothing open but stdout and
  // stderr, and exit 0-200 ms later; but under `nice -n 19` on a 2-core machine at load 25-30,
  // one did not get to finish its last turn of the event loop in the second jest waited (seen with
  // TANDEM_TEST_HANDLES: nothing open at its end, no exit, its SIGTERM handler never ran). A
  // handle that does leak is still reported, 5 s later.
  workerGracefulExitTimeout: 5_000,
};
