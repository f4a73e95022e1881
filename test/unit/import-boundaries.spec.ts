import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Lints each source as if it were its file, with the project's own ESLint configuration, in a
 * plain node process (ESLint loads its configuration with a dynamic import, which jest's module
 * sandbox refuses); answers the layering rule's complaints for each.
 */
function wrongWayArrows(cases: Array<[file: string, source: string]>): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const found = [];
      for (const [file, source] of cases) {
        const [result] = await eslint.lintText(source, { filePath: require('path').resolve(file) });
        found.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(found));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const output = execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(output) as string[][];
}

describe('import boundaries (eslint.config.mjs, run by npm run check)', () => {
  const wrongWay: Array<[arrow: string, file: string, source: string]> = [
    [
      'subscriptions → a service (the session registry once did)',
      'src/subscriptions/session-registry.ts',
      "import type { AuthService } from '../services/auth/auth.service';",
    ],
    [
      'context → a service module (the loaders once did)',
      'src/context/loaders.ts',
      "import { activeHelper } from '../services/helper/helper-sql';",
    ],
    [
      'context → the services',
      'src/context/context.ts',
      "import type { Services } from '../services';",
    ],
    [
      'db → subscriptions (the unit of work once did)',
      'src/db/unit-of-work.ts',
      "import { appendEventsAndCommit } from '../subscriptions/event-log';",
    ],
    [
      'db → services',
      'src/db/migrate.ts',
      "import { LockStore } from '../services/lock/lock.store';",
    ],
    [
      'resolvers → db',
      'src/resolvers/lock/lock.resolver.ts',
      "import { preparedQuery } from '../../db/prepared';",
    ],
    [
      'resolvers → a store',
      'src/resolvers/lock/lock.resolver.ts',
      "import { LockStore } from '../../services/lock/lock.store';",
    ],
    [
      'a store → a service',
      'src/services/lock/lock.store.ts',
      "import type { LockService } from './lock.service';",
    ],
    [
      'services → resolvers',
      'src/services/lock/lock.service.ts',
      "import { LockResolver } from '../../resolvers/lock/lock.resolver';",
    ],
    [
      'entities → anything above them',
      'src/entities/staff.entity.ts',
      "import type { Auth } from '../context/auth';",
    ],
  ];
  const rightWay: Array<[arrow: string, file: string, source: string]> = [
    [
      'context → a store',
      'src/context/loaders.ts',
      "import { activeHelper } from '../services/helper/helper.store';",
    ],
    [
      'services → a store and db',
      'src/services/lock/lock.service.ts',
      "import type { LockStore } from './lock.store';\nimport { preparedQuery } from '../../db/prepared';",
    ],
    [
      'resolvers → services',
      'src/resolvers/lock/lock.resolver.ts',
      "import { LockService } from '../../services/lock/lock.service';",
    ],
    [
      'subscriptions → db',
      'src/subscriptions/event-log.ts',
      "import { preparedQuery } from '../db/prepared';",
    ],
  ];
  let found: string[][];

  beforeAll(() => {
    found = wrongWayArrows(
      [...wrongWay, ...rightWay].map(([, file, source]) => [file, `${source}\n`]),
    );
  }, 60_000);

  it.each(wrongWay.map(([arrow], i) => [arrow, i] as const))(
    'fails on a wrong-way arrow: %s',
    (_arrow, i) => {
      expect(found[i]).toHaveLength(1);
    },
  );

  it.each(rightWay.map(([arrow], i) => [arrow, wrongWay.length + i] as const))(
    'lets the arrows the right way through: %s',
    (_arrow, i) => {
      expect(found[i]).toEqual([]);
    },
  );
});
