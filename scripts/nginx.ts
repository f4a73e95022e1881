/**
 * Runs Debian's nginx (from PATH) with deploy/nginx.conf in front of Tandem instances, as a child
 * process of its own (its prefix, its ports; no system nginx involved): `npm run cluster`, the
 * tests and `npm run bench -- storm` use the same file.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NGINX_TEMPLATE = path.resolve(__dirname, '../deploy/nginx.conf');

export interface NginxOptions {
  /** Where clients connect, e.g. `127.0.0.1:8080`. */
  listen: string;
  /** The instances, `host:port` each. */
  upstreams: string[];
  /** Descriptors per worker: 2 per proxied WebSocket (default 4,096). */
  workerConnections?: number;
  /** nginx's directory (temporary files, pid, the rendered config); default a new temporary one. */
  prefix?: string;
}

/** deploy/nginx.conf with its fields filled in. */
export async function renderNginxConfig(
  options: NginxOptions & { prefix: string },
): Promise<string> {
  const connections = options.workerConnections ?? 4096;
  const fields: Record<string, string> = {
    prefix: options.prefix,
    listen: options.listen,
    servers: options.upstreams
      .map((address) => `    server ${address} max_fails=1 fail_timeout=2s;`)
      .join('\n'),
    worker_connections: String(connections),
    worker_rlimit_nofile: String(connections + 1024),
  };
  const template = await readFile(NGINX_TEMPLATE, 'utf8');
  return template.replace(/\{\{(\w+)\}\}/g, (_all, name: string) => {
    const value = fields[name];
    if (value === undefined) throw new Error(`deploy/nginx.conf: unknown field {{${name}}}`);
    return value;
  });
}

/** Whether an nginx binary is on PATH. */
export function nginxAvailable(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
}

export const NGINX_MISSING = 'nginx is not installed: apt-get install -y nginx';

export class Nginx {
  stderr = '';
  private constructor(
    readonly child: ChildProcess,
    readonly prefix: string,
    readonly listen: string,
    private readonly ownsPrefix: boolean,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  get url(): string {
    return `http://${this.listen}/graphql`;
  }

  get wsUrl(): string {
    return `ws://${this.listen}/graphql`;
  }

  /** Renders the config, checks it (`nginx -t`), starts nginx in the foreground, waits for it to listen. */
  static async start(options: NginxOptions): Promise<Nginx> {
    if (!nginxAvailable()) throw new Error(NGINX_MISSING);
    const ownsPrefix = !options.prefix;
    const prefix = options.prefix ?? (await mkdtemp(path.join(os.tmpdir(), 'tandem-nginx-')));
    await mkdir(prefix, { recursive: true });
    // As root, nginx's workers run as `nobody`: they must reach the temporary files.
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];
    await Promise.all(temp.map((dir) => mkdir(path.join(prefix, dir), { recursive: true })));
    if (process.getuid?.() === 0) {
      await chmod(prefix, 0o755);
      await Promise.all(temp.map((dir) => chmod(path.join(prefix, dir), 0o777)));
    }
    const config = path.join(prefix, 'nginx.conf');
    await writeFile(config, await renderNginxConfig({ ...options, prefix }));
    const args = ['-p', prefix, '-c', config, '-e', 'stderr'];
    const check = spawnSync('nginx', [...args, '-t', '-q'], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`nginx -t refused ${config}:\n${check.stderr}`);
    const child = spawn('nginx', [...args, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const nginx = new Nginx(child, prefix, options.listen, ownsPrefix);
    await nginx.waitListening(10_000);
    return nginx;
  }

  private async waitListening(timeoutMs: number): Promise<void> {
    const [host, port] = splitAddress(this.listen);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited:\n${this.stderr}`);
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host, port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (open) return;
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${this.listen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops nginx (its connections closed at once) and removes a prefix it made. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    if (this.ownsPrefix) await rm(this.prefix, { recursive: true, force: true });
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  return [host === '0.0.0.0' || host === '' ? '127.0.0.1' : host, Number(address.slice(at + 1))];
}
