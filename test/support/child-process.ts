import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** Settings a child must not inherit from the shell that runs the tests: each test sets its own. */
const TANDEM_SETTINGS = [
  'DATABASE_URL',
  'REDIS_URL',
  'DATA_DIR',
  'PORT',
  'HOST',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'SECRETS_KEY',
];

/** The key child servers seal provider secrets with (a server with DATABASE_URL needs one). */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** The test run's environment without Tandem's settings, plus `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const name of TANDEM_SETTINGS) delete clean[name];
  const secrets = env.DATABASE_URL && !env.SECRETS_KEY ? { SECRETS_KEY: TEST_SECRETS_KEY } : {};
  return { ...clean, ...secrets, ...env };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Node's arguments to run a TypeScript entry point through @swc-node/register (as the dev scripts do). */
export function fromSource(entry: string, ...args: string[]): string[] {
  return ['-r', '@swc-node/register', entry, ...args];
}

/** A node process of the project, its output collected. */
export class NodeProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  /** With `ipc`, the child can be asked questions (`ask`), e.g. its heap (server-process.ts). */
  constructor(argv: string[], env: NodeJS.ProcessEnv, { ipc = false }: { ipc?: boolean } = {}) {
    this.child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? (['ipc'] as const) : [])],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Resolves with the first match of `pattern` in stdout; fails if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exit: Exit | undefined;
    void this.exited.then((e) => (exit = e));
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (exit || Date.now() > deadline) {
        throw new Error(
          `${exit ? `exited (${exit.code ?? exit.signal})` : 'timed out'} before printing ` +
            `${pattern}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The exit of the process, or a failure after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms\n${this.stderr}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `question` over the IPC channel and resolves with the child's answer. */
  ask<T>(question: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${question}`)), timeoutMs);
      this.child.once('message', (answer) => {
        clearTimeout(timer);
        resolve(answer as T);
      });
      this.child.send(question);
    });
  }

  /** Makes sure the process is gone (a test that failed half-way leaves it running). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exit(10_000).catch(() => {
      this.child.kill('SIGKILL');
      return this.exited;
    });
  }
}

/** Runs a command to its end: its exit code and output. */
export async function run(
  argv: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = new NodeProcess(argv, env);
  try {
    const { code } = await command.exit(timeoutMs);
    return { code, stdout: command.stdout, stderr: command.stderr };
  } finally {
    await command.kill();
  }
}

/** A server instance running in a child process (test/support/server-process.ts). */
export interface ServerProcess {
  process: NodeProcess;
  url: string;
  wsUrl: string;
}

/**
 * Starts a server instance in a process of its own on a free port of 127.0.0.1, with `env`
 * (DATABASE_URL at least) and quiet logs unless set; resolves once it listens.
 */
export async function startServerProcess(
  env: Record<string, string>,
  { ipc = false }: { ipc?: boolean } = {},
): Promise<ServerProcess> {
  const server = new NodeProcess(
    [...(ipc ? ['--expose-gc'] : []), ...fromSource('test/support/server-process.ts')],
    childEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', ...env }),
    { ipc },
  );
  try {
    const [line] = await server.waitForOutput(/\{"url".*\}/, 30_000);
    const { url, wsUrl } = JSON.parse(line) as { url: string; wsUrl: string };
    return { process: server, url, wsUrl };
  } catch (error) {
    await server.kill();
    throw error;
  }
}
