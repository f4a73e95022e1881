// `npm start`: builds only when a TypeScript or SQL source changed since the last build (even an
// incremental tsc run that changes nothing takes ~10 s), then runs the server in this process.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { root, isBuildCurrent } = require('../bin/build-state');

const main = path.join(root, 'dist', 'src', 'main.js');
if (!isBuildCurrent(main)) {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
require(main);
