// Whether dist/ is the build of the current sources: shared by bin/tandem.js and `npm start`.
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

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
function builtAt(entry, base) {
  const info = path.join(base, 'dist', '.tsbuildinfo.build');
  return Math.max(
    statSync(entry).mtimeMs,
    existsSync(info) ? statSync(info).mtimeMs : 0,
    newestSource(path.join(base, 'dist', 'src')),
  );
}

/**
 * True when `entry` (a file under dist/) exists and no source changed since it was built
 * (`base`: the checkout, this one unless a test names another).
 */
function isBuildCurrent(entry, base = root) {
  return (
    existsSync(entry) &&
    Math.max(newestSource(path.join(base, 'src')), newestSource(path.join(base, 'migrations'))) <=
      builtAt(entry, base)
  );
}

module.exports = { root, isBuildCurrent };
