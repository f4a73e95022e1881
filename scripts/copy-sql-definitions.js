// `npm run build`: tsc compiles src/ into dist/src/ but copies nothing else; the SQL definitions
// (src/**/*.sql, listed in src/db/sql-definitions.ts) go beside the compiled code that reads them.
const { cpSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
cpSync(path.join(root, 'src'), path.join(root, 'dist', 'src'), {
  recursive: true,
  filter: (source) => statSync(source).isDirectory() || source.endsWith('.sql'),
});
