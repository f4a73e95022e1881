import { appendFileSync } from 'node:fs';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import NodeEnvironment from 'jest-environment-node';

/**
 * jest's node environment, plus a log of what keeps each worker alive; used only when
 * `TANDEM_TEST_HANDLES=<file>` is set (jest.config.js). It appends to that file:
 * - after each test file (its afterAll hooks done, and a pause for sockets to finish closing):
 *   the worker's pid, the file, and what keeps the event loop alive, by kind, with each handle;
 *   a handle that appears after a file and stays is one that file left open;
 * - when jest ends the worker (it removes the worker's IPC listener and waits
 *   `workerGracefulExitTimeout` for the process to exit by itself): what was still open then,
 *   and the worker's memory; then how long the exit took (`EXIT`), or, when jest had to kill
 *   the worker, what was open at its SIGTERM.
 * A worker that ends with only its stdout and stderr open and never logs `EXIT` was slow, not
 * leaking (see the comment in jest.config.js).
 */
export default class HandleLogEnvironment extends NodeEnvironment {
  private readonly testPath: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.testPath = context.testPath;
    const file = process.env.TANDEM_TEST_HANDLES;
    if (file) watchWorkerEnd(file);
  }

  override async teardown(): Promise<void> {
    await super.teardown();
    const file = process.env.TANDEM_TEST_HANDLES;
    if (!file) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
    const path = this.testPath.replace(`${process.cwd()}/`, '');
    appendFileSync(file, `${process.pid} ${path} ${describeHandles()}\n`);
  }
}

/** What keeps this process alive: resources by kind, then each handle (with its ports, if any). */
function describeHandles(): string {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  // Node's own list of handles (undocumented): it says which socket it is.
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  const each = handles.map((handle) => {
    const { fd, localPort, remotePort } = handle as {
      fd?: number;
      localPort?: number;
      remotePort?: number;
    };
    return `${handle.constructor.name}(${fd ?? ''} ${localPort ?? ''}->${remotePort ?? ''})`;
  });
  return `${JSON.stringify(counts)} ${each.join(' ')}`;
}

let watching = false;

function watchWorkerEnd(file: string): void {
  if (watching) return;
  watching = true;
  let endedAt: number | undefined;
  const since = () => (endedAt === undefined ? '?' : `${Date.now() - endedAt}`);
  // jest-worker's child ends by removing its 'message' listener and letting the loop drain.
  process.on('removeListener', (event) => {
    if (event !== 'message' || endedAt !== undefined) return;
    endedAt = Date.now();
    const { rss, heapUsed } = process.memoryUsage();
    const memory = `rss=${rss >> 20}MB heap=${heapUsed >> 20}MB`;
    appendFileSync(file, `${process.pid} END ${describeHandles()} ${memory}\n`);
  });
  process.on('exit', () => appendFileSync(file, `${process.pid} EXIT ${since()} ms after END\n`));
  process.on('SIGTERM', () => {
    appendFileSync(file, `${process.pid} SIGTERM ${since()} ms after END ${describeHandles()}\n`);
    process.exit(143);
  });
}
