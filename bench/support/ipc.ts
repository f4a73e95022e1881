import { type ChildProcess, fork } from 'node:child_process';

/** Parent to child: run a command. */
interface CallMessage {
  id: number;
  command: string;
  args?: unknown;
}

/** Child to parent: ready, an answer, or an event the child reports on its own. */
type ChildMessage =
  | { ready: true }
  | { id: number; result: unknown }
  | { id: number; error: string }
  | { event: string; data: unknown };

type Handlers = Record<string, (args: never) => unknown>;

/**
 * A helper process of a benchmark (a server under test, a crowd of clients), forked so that it
 * has an event loop, a heap and a CPU account of its own. The parent calls its commands by name
 * and listens to the events it reports.
 */
export class ChildWorker {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (result: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly listeners = new Map<string, Array<(data: unknown) => void>>();
  readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: ChildMessage) => {
      if ('ready' in message) return;
      if ('event' in message) {
        for (const listener of this.listeners.get(message.event) ?? []) listener(message.data);
        return;
      }
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('result' in message) waiting?.resolve(message.result);
      else waiting?.reject(new Error(`${name}: ${message.error}`));
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        for (const waiting of this.pending.values())
          waiting.reject(new Error(`${name} exited (${signal ?? code})`));
        this.pending.clear();
        resolve();
      });
    });
  }

  /** Forks `entry` (TypeScript, run through @swc-node/register) and waits until it is ready. */
  static async fork(
    name: string,
    entry: string,
    { nodeOptions = [] }: { nodeOptions?: string[] } = {},
  ): Promise<ChildWorker> {
    const child = fork(entry, [], {
      execArgv: ['-r', '@swc-node/register', ...nodeOptions],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code})`)));
    });
    return new ChildWorker(name, child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  call<T>(command: string, args?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.running) {
        reject(new Error(`${this.name} is not running`));
        return;
      }
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.child.send({ id, command, args } satisfies CallMessage);
    });
  }

  on(event: string, listener: (data: unknown) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  /** Disconnects (the child then winds down and exits); killed if it takes longer than `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The child's side: answers the parent's commands with `handlers`, and `emit`s events. When the
 * parent disconnects (it finished, or died), `onDisconnect` runs and the process exits.
 */
export function serveParent(
  handlers: Handlers,
  onDisconnect: () => Promise<void> | void = () => {},
): { emit(event: string, data: unknown): void } {
  const send = (message: ChildMessage) => {
    if (process.connected) process.send?.(message);
  };
  process.on('message', (message: CallMessage) => {
    const handler = handlers[message.command] as ((args: unknown) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command "${message.command}"`);
        return handler(message.args);
      })
      .then(
        (result) => send({ id: message.id, result: result ?? null }),
        (error: unknown) =>
          send({
            id: message.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  process.on('disconnect', () => {
    void Promise.resolve()
      .then(onDisconnect)
      .catch((error: unknown) => console.error(error))
      .finally(() => process.exit(0));
  });
  send({ ready: true });
  return { emit: (event, data) => send({ event, data }) };
}
