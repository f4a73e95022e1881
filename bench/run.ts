/**
 * `npm run bench -- NAME [options]` runs `bench/NAME/index.ts`, prints its figures and writes
 * its section of bench/RESULTS.md. A new benchmark is a new folder whose index exports `benchmark`.
 */
import 'reflect-metadata';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BenchContext, Benchmark } from './support/benchmark';
import { codeState } from './support/code-state';
import { describeMachine } from './support/machine';
import { RESULTS_FILE, writeResultsSection } from './support/results-file';

const loadModule = createRequire(__filename);
const entry = (name: string) => path.join(__dirname, name, 'index.ts');

/** Every folder with an index.ts, but the shared support. */
function available(): string[] {
  return readdirSync(__dirname, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && dirent.name !== 'support')
    .map((dirent) => dirent.name)
    .filter((name) => existsSync(entry(name)))
    .sort();
}

function load(name: string): Benchmark {
  const { benchmark } = loadModule(entry(name)) as { benchmark?: Benchmark };
  if (!benchmark) throw new Error(`bench/${name}/index.ts does not export a \`benchmark\``);
  return benchmark;
}

function usage(): string {
  const lines = available().map((name) => `  ${name.padEnd(14)}${load(name).summary}`);
  return [
    'usage: npm run bench -- NAME [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--concurrency N]',
    '',
    'benchmarks:',
    ...lines,
  ].join('\n');
}

const quote = (arg: string) =>
  /^[\w./:=@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name.startsWith('-')) {
    console.log(usage());
    return 1;
  }
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name === 'support' || !existsSync(entry(name))) {
    console.error(`no benchmark "${name}"\n\n${usage()}`);
    return 1;
  }
  const benchmark = load(name);

  const cleanups: Array<() => unknown> = [];
  let cleaning: Promise<void> | undefined;
  // Once only: on Ctrl-C the interrupted run's own `finally` asks for it too.
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) {
        try {
          await cleanup();
        } catch (error) {
          console.error('[bench] cleanup failed:', error);
        }
      }
    })());
  process.once('SIGINT', () => {
    console.error('\n[bench] interrupted: stopping what the benchmark started');
    void cleanUp().finally(() => process.exit(130));
  });

  const context: BenchContext = {
    name,
    args,
    command: ['npm run bench --', name, ...args.map(quote)].join(' '),
    log: (message) => console.log(`[bench ${name}] ${message}`),
    defer: (cleanup) => cleanups.push(cleanup),
  };
  const started = new Date();
  try {
    const report = await benchmark.run(context);
    const details = [
      `- Command: \`${context.command}\``,
      `- Run: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      `- Machine: ${describeMachine()}, NODE_ENV ${process.env.NODE_ENV ?? 'unset'}`,
      `- Code: ${codeState()}`,
    ].join('\n');
    console.log(`\n${report.text}`);
    await writeResultsSection(name, `${details}\n\n${report.markdown}`);
    console.log(`\nwrote the "${name}" section of ${path.relative(process.cwd(), RESULTS_FILE)}`);
    return 0;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const badArguments = String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (badArguments) console.error(`[bench] ${(error as Error).message}\n\n${usage()}`);
    else console.error('[bench] failed:', error);
    process.exit(1);
  },
);
