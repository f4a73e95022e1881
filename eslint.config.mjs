import tseslint from 'typescript-eslint';

/**
 * The layering, as import rules (a wrong-way arrow fails `npm run lint`, so `npm run check`):
 *
 *   server, main, cli, http, the schema's assembly (build-schema, resolver-container)
 *     -> resolvers                    (thin: no SQL, no store)
 *       -> services                   (the rules)
 *         -> stores (services/<area>/<area>.store.ts, the only TypeScript naming an area's SQL
 *            functions), subscriptions, context, authz
 *           -> db -> entities         (entities import nothing above them)
 *
 * Subscriptions and context never import services (context may read a store: the per-request
 * loaders read what the areas store). Type-only imports count: a type is an arrow too.
 */
const layer = (name, regex) => ({
  name,
  regex: `(^|/)${regex}`,
  message: `${name} is above this layer: see the layering in eslint.config.mjs`,
});
const SERVICES = layer('services', 'services(/index)?$|(^|/)[\\w-]+\\.service$');
const SERVICES_BUT_STORES = layer('services', 'services$|(^|/)services/(?!.*\\.store$)');
const ANY_OF_SERVICES = layer('services (stores included)', 'services(/|$)');
const STORES = layer('a store', '[\\w-]+\\.store$');
const RESOLVERS = layer('resolvers', 'resolvers/');
const COMPOSITION = layer(
  'the composition and transport layers',
  '(http|cli)/|(^|/)(server|main)$|(^|/)schema/(build-schema|resolver-container)$',
);
const SUBSCRIPTIONS = layer('subscriptions', 'subscriptions/');
const CONTEXT = layer('context', 'context/');
const AUTHZ = layer('authz', 'authz/');
const JOBS = layer('jobs', 'jobs/');
const DB = layer('db', 'db/');

/** `files` may import nothing matching `forbidden`; the last entry matching a file is the one that applies. */
const boundary = (files, ...forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map(({ regex, message }) => ({ regex, message })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.data/**',
      'test/generated/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Entity and migration lists are plain class references.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      'no-console': 'off',
    },
  },
  boundary(['src/resolvers/**/*.ts'], COMPOSITION, DB, STORES),
  boundary(['src/services/**/*.ts'], COMPOSITION, RESOLVERS),
  boundary(['src/services/**/*.store.ts'], COMPOSITION, RESOLVERS, SERVICES),
  boundary(['src/subscriptions/**/*.ts'], COMPOSITION, RESOLVERS, ANY_OF_SERVICES),
  boundary(['src/context/**/*.ts'], COMPOSITION, RESOLVERS, SERVICES_BUT_STORES, SUBSCRIPTIONS),
  boundary(['src/authz/**/*.ts'], COMPOSITION, RESOLVERS, ANY_OF_SERVICES, SUBSCRIPTIONS),
  boundary(
    ['src/db/**/*.ts'],
    COMPOSITION,
    RESOLVERS,
    ANY_OF_SERVICES,
    SUBSCRIPTIONS,
    CONTEXT,
    AUTHZ,
    JOBS,
  ),
  boundary(['src/entities/**/*.ts'], {
    regex: '^\\.\\./',
    message: 'entities import nothing above them (only each other)',
  }),
);
