import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The repeatable SQL definitions: every SQL function, trigger (with its function) and view the
 * code calls, each written once, in a `.sql` file beside the code that owns its rule. They are
 * applied after the migrations, whenever a file's checksum differs from the one the database
 * recorded (`migrate`); the history of a rule is `git log` of its file.
 *
 * Order: a file comes after every file whose functions its SQL-language functions call
 * (PostgreSQL checks those bodies when it creates them; PL/pgSQL bodies are checked when they
 * run), and after the tables its functions take as arguments (the migrations, always first).
 * A file creates its objects with plain `CREATE` (so that two files defining one function fail),
 * each named `tandem_*` (a trigger: bound to a `tandem_*` function): that is how `migrate` finds
 * what to drop before applying the files again, so a function renamed, removed or given another
 * signature or return type leaves nothing behind.
 *
 * Paths are relative to `src/` (`npm run build` copies the files beside the compiled code).
 */
export const SQL_DEFINITIONS = [
  'db/json.sql',
  'subscriptions/streams.sql',
  'db/event-log.sql',
  'services/session/session.sql',
  'authz/access.sql',
  'services/conversation/conversation.sql',
  'services/lock/lock.sql',
  'services/routing/routing.sql',
  'services/provider/delivery.sql',
  'services/campaign/recordings.sql',
  'services/campaign/inbound.sql',
  'services/supervision/monitor.sql',
] as const;

export interface SqlDefinition {
  /** Its path under `src/`, as listed in SQL_DEFINITIONS. */
  file: string;
  sql: string;
  /** SHA-256 of the text, what the database records of it. */
  checksum: string;
}

/** Where this build's files are: `src/` when run from source, `dist/src/` once compiled. */
const SOURCE_ROOT = path.resolve(__dirname, '..');

/** The definitions as this build has them, in the order they are applied. */
export function loadSqlDefinitions(): SqlDefinition[] {
  return SQL_DEFINITIONS.map((file) => {
    const sql = readFileSync(path.join(SOURCE_ROOT, file), 'utf8');
    return { file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

/** Every object a definition may create is named so; nothing else in the schema is. */
export const DEFINED_PREFIX = 'tandem_';
