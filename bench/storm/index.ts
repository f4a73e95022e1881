import { Report, ms as formatMs } from '../support/report';
/**
 * `npm run bench -- storm`: a reconnect storm (issue 19, PERF "Reconnect storm", "Sockets per
 * instance"). Two Tandem instances on one PostgreSQL and one Redis; `--consoles` consoles on
 * instance A (each a socket with its inbox's locks and conversations and its assignments), `--others`
 * on instance B; lock operations at `--rate` a second all along. A is killed (SIGKILL); its consoles
 * reconnect at once, naming their windows, to B directly, then (second round, A started again) to
 * nginx (deploy/nginx.conf) in front of A and B. Figures: reconnections/s at B, time to
 * resynchronized (lock SNAPSHOT received), B's consoles' fan-out (commit → last of them) before
 * and during the storm, lock events missed. Then sockets at the cap: `--cap` consoles on one
 * instance with MAX_SOCKETS = cap, the fan-out to all of them, and the next socket refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../../src/db/embedded-postgres';
import { Nginx } from '../../scripts/nginx';
import type { BenchContext, Benchmark } from '../support/benchmark';
import { GraphqlHttp } from '../support/graphql-http';
import { describeMachine } from '../support/machine';
import { openBenchDatabase } from '../support/postgres';
import { openBenchRedis } from '../support/redis';
import { machineBusyUs, ownCpuUs, processTreeCpuUs } from '../support/cpu';
import { percentile } from '../support/stats';
import { RawConsole, reconnectDelay } from './consoles';
import { seedStorm, type StormSeed } from './seed';

interface Options {
  consoles: number;
  others: number;
  rate: number;
  measureSeconds: number;
  cap: number;
  via: Array<'direct' | 'nginx'>;
  /** A console still not resynchronized this long after the kill counts as lost. */
  deadlineSeconds: number;
  /** A directory for instance B's CPU profile (`--cpu-prof`), written when B stops. */
  profile: string | undefined;
  /** Also run the storm against the bare floor servers (`--floor no` to skip). */
  floor: boolean;
  /** Agents signed in (each console one's token, in turn); 0: one per console. */
  agents: number;
}

function options(args: string[]): Options {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      consoles: { type: 'string' },
      others: { type: 'string' },
      rate: { type: 'string' },
      measure: { type: 'string' },
      cap: { type: 'string' },
      via: { type: 'string' },
      deadline: { type: 'string' },
      profile: { type: 'string' },
      floor: { type: 'string' },
      agents: { type: 'string' },
    },
  });
  return {
    consoles: Number(values.consoles ?? 5000),
    others: Number(values.others ?? 500),
    rate: Number(values.rate ?? 4),
    measureSeconds: Number(values.measure ?? 8),
    cap: Number(values.cap ?? 10000),
    // `--via none --floor no`: the sockets at the cap alone.
    via: (values.via ?? 'direct,nginx')
      .split(',')
      .filter((via): via is Options['via'][number] => via === 'direct' || via === 'nginx'),
    deadlineSeconds: Number(values.deadline ?? 180),
    profile: values.profile,
    floor: values.floor !== 'no',
    agents: Number(values.agents ?? 0),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU used meanwhile (ms): the instance taking the storm, Postgres, the consoles' process, the machine. */
interface StormCpu {
  instanceMs: number;
  postgresMs: number;
  consolesMs: number;
  machineMs: number;
}

/** Starts counting CPU time; `read()` answers what each used since. */
function cpuMeter(instancePid: number, postmasterPid: number | undefined): { read(): StormCpu } {
  const take = () => ({
    instance: processTreeCpuUs(instancePid),
    postgres: postmasterPid ? processTreeCpuUs(postmasterPid) : Number.NaN,
    consoles: ownCpuUs(),
    machine: machineBusyUs(),
  });
  const start = take();
  return {
    read: () => {
      const end = take();
      return {
        instanceMs: (end.instance - start.instance) / 1000,
        postgresMs: (end.postgres - start.postgres) / 1000,
        consolesMs: (end.consoles - start.consoles) / 1000,
        machineMs: (end.machine - start.machine) / 1000,
      };
    },
  };
}

/** An instance in a process of its own, its descriptor limit raised (`ulimit -n`). */
class InstanceProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly wsUrl: string,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(
    context: BenchContext,
    env: Record<string, string>,
    {
      nodeOptions = [],
      entry = 'bench/storm/instance.ts',
    }: { nodeOptions?: string[]; entry?: string } = {},
  ): Promise<InstanceProcess> {
    const port = await freePort();
    const child = spawn(
      'sh',
      [
        '-c',
        `ulimit -n 65536 2>/dev/null || true; exec "${process.execPath}" ${nodeOptions.join(' ')} -r @swc-node/register ${entry}`,
      ],
      {
        env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    context.defer(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout?.setEncoding('utf8');
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk: string) => {
        out += chunk;
        const match = out.match(/\{"url".*\}/);
        if (match) resolve(match[0]);
      });
      child.once('exit', (code) => reject(new Error(`instance exited (${code})`)));
    });
    const { url, wsUrl } = JSON.parse(line) as { url: string; wsUrl: string };
    return new InstanceProcess(child, wsUrl, url, port);
  }

  /** SIGTERM (a drain), and its exit: a CPU profile is written then. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Connects consoles `batch` at a time; an attempt refused (a busy instance) is tried again. */
async function connectAll(consoles: RawConsole[], url: string, batch = 100): Promise<void> {
  const connectOne = async (c: RawConsole) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await c.connect(url);
      } catch (error) {
        if (attempt >= 20) throw error;
        await pause(reconnectDelay(attempt, c.closedWith));
      }
    }
  };
  for (let i = 0; i < consoles.length; i += batch) {
    await Promise.all(consoles.slice(i, i + batch).map(connectOne));
  }
}

/** Lock operations at `rate` a second (open, release, ...) over HTTP until stopped. */
function drive(api: GraphqlHttp, ticketId: string, rate: number): { stop(): Promise<void> } {
  let running = true;
  const input = JSON.stringify({ conversationId: ticketId });
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const started = Date.now();
      const mutation = i % 2 === 0 ? 'openTicket' : 'releaseTicket';
      await api
        .post(
          JSON.stringify({
            query: `mutation { ${mutation}(input: ${input.replace(/"(\w+)":/g, '$1:')}) { __typename } }`,
          }),
        )
        .catch(() => undefined);
      await pause(Math.max(0, 1000 / rate - (Date.now() - started)));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Per lock event: commit → the last of `consoles` to get it (only events all of them got). */
function fanOut(consoles: RawConsole[], from: number, to: number): number[] {
  const last = new Map<number, { at: number; latest: number; count: number }>();
  for (const c of consoles) {
    for (const receipt of c.receipts ?? []) {
      if (receipt.at < from || receipt.at > to) continue;
      const entry = last.get(receipt.seq) ?? { at: receipt.at, latest: 0, count: 0 };
      entry.latest = Math.max(entry.latest, receipt.receivedAt);
      entry.count++;
      last.set(receipt.seq, entry);
    }
  }
  return [...last.values()]
    .filter((entry) => entry.count === consoles.length)
    .map((entry) => entry.latest - entry.at)
    .sort((a, b) => a - b);
}

const p = (sorted: number[], q: number) => (sorted.length ? formatMs(percentile(sorted, q)) : '—');

async function lastLockSeq(databaseUrl: string, seed: StormSeed): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ seq: number }>(
      'SELECT coalesce(max(seq), 0)::int AS seq FROM event_log WHERE stream = $1',
      [seed.locksStream],
    );
    return rows[0]?.seq ?? 0;
  } finally {
    await client.end();
  }
}

interface CapRow {
  cap: number;
  held: number;
  fan: number[];
  refused: string;
  /** The server process' resident memory with all of them held. */
  rssBytes: number;
}

/** A process' resident memory (bytes), from /proc. */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

interface FloorRow {
  via: string;
  cpu: StormCpu;
  /** Fan-out to the floor's own consoles that stay (publishing at the same rate): before, during. */
  normal: number[];
  storm: number[];
  reconnected: number;
  perSecond: number;
  resyncP50: number;
  resyncP99: number;
  resyncMax: number;
}

interface StormRow {
  via: string;
  consoles: number;
  reconnected: number;
  resumed: number;
  perSecond: number;
  resyncP50: number;
  resyncP99: number;
  resyncMax: number;
  normal: number[];
  storm: number[];
  missed: number;
  gaps: number;
  cpu: StormCpu;
}

async function run(context: BenchContext) {
  const opts = options(context.args);
  const machine = describeMachine();
  const db = await openBenchDatabase(context);
  const redis = await openBenchRedis(context);
  // The benchmark stores no provider secrets; its instances share a key of this run.
  const secretsKey = randomBytes(32);
  const agents = opts.agents || Math.max(opts.consoles + opts.others, opts.cap);
  const seed = await seedStorm(db.url, redis.url, secretsKey, agents);
  let nextAgent = 0;
  /** A console of the next agent (they take turns when there are fewer agents than consoles). */
  const newConsole = () =>
    new RawConsole(seed.agentTokens[nextAgent++ % seed.agentTokens.length] as string, seed.inboxId);
  context.log(`seeded: organization ${seed.organizationId}, inbox ${seed.inboxId}`);
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    SECRETS_KEY: secretsKey.toString('base64'),
    LOCK_TTL_SECONDS: '120',
    MAX_SOCKETS: String(Math.max(15000, opts.consoles + opts.others + 100)),
    // The storm's consoles all come from this one address, through nginx too.
    TRUST_PROXY: 'loopback',
  };

  const b = await InstanceProcess.start(context, env, {
    nodeOptions: opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`] : [],
  });
  const others = Array.from({ length: opts.others }, newConsole);
  await connectAll(others, b.wsUrl);
  context.log(`${opts.others} consoles on instance B`);
  const api = new GraphqlHttp(b.url, {
    authorization: `Bearer ${seed.token}`,
    'x-client-session': seed.signInSessionId,
  });

  const rows: StormRow[] = [];
  for (const via of opts.via) {
    const a = await InstanceProcess.start(context, env);
    const nginx =
      via === 'nginx'
        ? await Nginx.start({
            listen: `127.0.0.1:${await freePort()}`,
            upstreams: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
            workerConnections: 2 * (opts.consoles + opts.others) + 1024,
          })
        : undefined;
    if (nginx) context.defer(() => nginx.stop());
    const storm = Array.from({ length: opts.consoles }, newConsole);
    const connectStart = Date.now();
    await connectAll(storm, a.wsUrl);
    context.log(
      `${via}: ${opts.consoles} consoles on instance A in ${Date.now() - connectStart} ms`,
    );

    for (const c of others) c.receipts = [];
    const driver = drive(api, seed.ticketId, opts.rate);
    const normalFrom = Date.now();
    await pause(opts.measureSeconds * 1000);
    const normalTo = Date.now();

    // A dies; its consoles come back at once, to B or through nginx.
    const target = nginx ? nginx.wsUrl : b.wsUrl;
    const killedAt = Date.now();
    const meter = cpuMeter(b.child.pid as number, db.postmasterPid);
    const resyncs: number[] = [];
    const failures = new Map<string, number>();
    // Each console as the README tells clients to reconnect (backoff with full jitter); the run
    // gives up on one only after `--deadline` seconds.
    const deadline = killedAt + opts.deadlineSeconds * 1000;
    const reconnecting = storm.map(async (c) => {
      const ok = await c.reconnect(target, deadline, failures);
      if (ok) resyncs.push(Date.now() - killedAt);
      return ok;
    });
    // The consoles see their sockets close when A's process is gone.
    await a.kill();
    const outcomes = await Promise.all(reconnecting);
    const stormTo = Date.now();
    const cpu = meter.read();
    await pause(1000);
    await driver.stop();
    await pause(1500);
    const end = await lastLockSeq(db.url, seed);
    const all = [...storm, ...others];
    const sortedResync = [...resyncs].sort((x, y) => x - y);
    const reconnected = outcomes.filter(Boolean).length;
    rows.push({
      via,
      consoles: opts.consoles,
      reconnected,
      resumed: storm.filter((c) => c.resumed).length,
      perSecond: reconnected / ((sortedResync.at(-1) ?? 1) / 1000),
      resyncP50: percentile(sortedResync, 50),
      resyncP99: percentile(sortedResync, 99),
      resyncMax: sortedResync.at(-1) ?? Number.NaN,
      normal: fanOut(others, normalFrom, normalTo),
      storm: fanOut(others, killedAt, stormTo),
      missed: all.filter((c) => c.lockSeq !== end).length,
      gaps: all.reduce((sum, c) => sum + c.gaps, 0),
      cpu,
    });
    context.log(
      `${via}: ${JSON.stringify({ ...rows.at(-1), normal: undefined, storm: undefined })}`,
    );
    context.log(`${via}: failed attempts ${JSON.stringify(Object.fromEntries(failures))}`);
    if (nginx) {
      const lines = new Map<string, number>();
      for (const line of nginx.stderr.split('\n').filter(Boolean)) {
        const key = line
          .replace(/^.*?\[(\w+)\] \d+#\d+: \*?\d* ?/, '[$1] ')
          .replace(/client: .*$/, '');
        lines.set(key, (lines.get(key) ?? 0) + 1);
      }
      context.log(`nginx: ${JSON.stringify(Object.fromEntries(lines))}`);
    }
    for (const c of storm) c.close();
    await nginx?.stop();
    await pause(3000); // B ends the closed windows
  }
  for (const c of others) c.close();
  // The floor, the same storm against bare servers (bench/storm/floor.ts): A' dies, its consoles
  // come back to B' (directly, or through nginx in front of A' and B'). B' has its own consoles
  // that stay and publishes lock events to every console at the same rate as ours gets lock
  // operations, so that it pays the same fan-out while the storm lasts.
  const floors: FloorRow[] = [];
  for (const via of opts.floor ? opts.via : []) {
    const floorEnv = { DATABASE_URL: db.url };
    const [fa, fb] = await Promise.all([
      InstanceProcess.start(context, floorEnv, { entry: 'bench/storm/floor.ts' }),
      InstanceProcess.start(
        context,
        { ...floorEnv, FLOOR_PUBLISH_PER_SECOND: String(opts.rate) },
        { entry: 'bench/storm/floor.ts' },
      ),
    ]);
    const floorOthers = Array.from({ length: opts.others }, newConsole);
    await connectAll(floorOthers, fb.wsUrl);
    const nginx =
      via === 'nginx'
        ? await Nginx.start({
            listen: `127.0.0.1:${await freePort()}`,
            upstreams: [`127.0.0.1:${fa.port}`, `127.0.0.1:${fb.port}`],
            workerConnections: 2 * (opts.consoles + opts.others) + 1024,
          })
        : undefined;
    if (nginx) context.defer(() => nginx.stop());
    const storm = Array.from({ length: opts.consoles }, newConsole);
    await connectAll(storm, fa.wsUrl);
    for (const c of floorOthers) c.receipts = [];
    fb.child.kill('SIGUSR2'); // publishing starts
    const normalFrom = Date.now();
    await pause(opts.measureSeconds * 1000);
    const normalTo = Date.now();
    const killedAt = Date.now();
    const meter = cpuMeter(fb.child.pid as number, db.postmasterPid);
    const resyncs: number[] = [];
    const failures = new Map<string, number>();
    const deadline = killedAt + opts.deadlineSeconds * 1000;
    const reconnecting = storm.map(async (c) => {
      const ok = await c.reconnect(nginx ? nginx.wsUrl : fb.wsUrl, deadline, failures);
      if (ok) resyncs.push(Date.now() - killedAt);
      return ok;
    });
    await fa.kill();
    const reconnected = (await Promise.all(reconnecting)).filter(Boolean).length;
    const stormTo = Date.now();
    const cpu = meter.read();
    await pause(1000);
    fb.child.kill('SIGUSR2'); // and stops
    await pause(1500);
    const sorted = [...resyncs].sort((x, y) => x - y);
    floors.push({
      via,
      cpu,
      normal: fanOut(floorOthers, normalFrom, normalTo),
      storm: fanOut(floorOthers, killedAt, stormTo),
      reconnected,
      perSecond: reconnected / ((sorted.at(-1) ?? 1) / 1000),
      resyncP50: percentile(sorted, 50),
      resyncP99: percentile(sorted, 99),
      resyncMax: sorted.at(-1) ?? Number.NaN,
    });
    context.log(
      `floor ${via}: ${JSON.stringify({ ...floors.at(-1), normal: undefined, storm: undefined })}`,
    );
    context.log(`floor ${via}: failed attempts ${JSON.stringify(Object.fromEntries(failures))}`);
    for (const c of [...storm, ...floorOthers]) c.close();
    await nginx?.stop();
    await fb.kill();
  }
  if (opts.profile) {
    await b.stop();
    context.log(`instance B's CPU profile is in ${opts.profile}`);
  }

  // Sockets at the cap: one instance, MAX_SOCKETS = cap, that many consoles, then one more;
  // then the same consoles on a plain graphql-ws server publishing lock events at the same rate
  // (floor.ts with FLOOR_PUBLISH_PER_SECOND), in this run (issue 19, item 6).
  let capRow: CapRow | undefined;
  let plainRow: CapRow | undefined;
  if (opts.cap > 0) {
    const c = await InstanceProcess.start(context, { ...env, MAX_SOCKETS: String(opts.cap) });
    const held = Array.from({ length: opts.cap }, newConsole);
    const capStart = Date.now();
    await connectAll(held, c.wsUrl, 200);
    context.log(`cap: ${opts.cap} consoles in ${Date.now() - capStart} ms`);
    const extra = newConsole();
    const refused = await extra.connect(c.wsUrl).then(
      () => 'accepted (not refused)',
      () => `closed with ${extra.closedWith ?? extra.refusedWith}`,
    );
    for (const console_ of held) console_.receipts = [];
    const capApi = new GraphqlHttp(c.url, {
      authorization: `Bearer ${seed.token}`,
      'x-client-session': seed.signInSessionId,
    });
    const from = Date.now();
    const driver = drive(capApi, seed.ticketId, opts.rate);
    await pause(opts.measureSeconds * 1000);
    await driver.stop();
    await pause(1500);
    capRow = {
      cap: opts.cap,
      held: held.length,
      fan: fanOut(held, from, Date.now()),
      refused,
      rssBytes: rssBytes(c.child.pid as number),
    };
    for (const console_ of held) console_.close();
    await c.kill();

    const plain = await InstanceProcess.start(
      context,
      { DATABASE_URL: db.url, FLOOR_PUBLISH_PER_SECOND: String(opts.rate) },
      { entry: 'bench/storm/floor.ts' },
    );
    const plainHeld = Array.from({ length: opts.cap }, newConsole);
    const plainStart = Date.now();
    await connectAll(plainHeld, plain.wsUrl, 200);
    context.log(`plain graphql-ws: ${opts.cap} consoles in ${Date.now() - plainStart} ms`);
    for (const console_ of plainHeld) console_.receipts = [];
    const plainFrom = Date.now();
    plain.child.kill('SIGUSR2'); // publishing starts
    await pause(opts.measureSeconds * 1000);
    plain.child.kill('SIGUSR2'); // and stops
    await pause(1500);
    plainRow = {
      cap: opts.cap,
      held: plainHeld.length,
      fan: fanOut(plainHeld, plainFrom, Date.now()),
      refused: 'no cap',
      rssBytes: rssBytes(plain.child.pid as number),
    };
    for (const console_ of plainHeld) console_.close();
    await plain.kill();
  }

  const report = new Report().note(
    `${machine}; ${db.description}; ${redis.description}. ${opts.others} consoles stay on B all along; lock operations at ${opts.rate}/s over HTTP on B; fan-out is an event's commit (\`at\`) to the last of B's consoles receiving it, per event.`,
  );
  if (rows.length)
    report.table(
      [
        'reconnecting',
        'consoles',
        'reconnected (resumed their window)',
        'reconnections/s at B',
        'time to resynchronized p50 / p99 / last',
        "B's consoles' fan-out p50 / p99, normal",
        'same, during the storm',
        'p99 storm / normal',
        'consoles that missed a lock event',
      ],
      rows.map((row) => [
        row.via === 'nginx' ? 'through nginx' : 'directly to B',
        row.consoles,
        `${row.reconnected} (${row.resumed})`,
        Math.round(row.perSecond),
        `${formatMs(row.resyncP50)} / ${formatMs(row.resyncP99)} / ${formatMs(row.resyncMax)}`,
        `${p(row.normal, 50)} / ${p(row.normal, 99)} (${row.normal.length} events)`,
        `${p(row.storm, 50)} / ${p(row.storm, 99)} (${row.storm.length} events)`,
        row.normal.length && row.storm.length
          ? (percentile(row.storm, 99) / percentile(row.normal, 99)).toFixed(2)
          : '—',
        `${row.missed} (gaps ${row.gaps})`,
      ]),
    );
  if (floors.length) {
    const perReconnection = (ms: number, count: number) => `${((ms / count) * 1000).toFixed(0)} µs`;
    report.table(
      [
        'reconnecting',
        'reconnections/s: ours / floor',
        'ours / floor',
        'instance CPU per reconnection: ours / floor',
        'Postgres CPU per reconnection: ours / floor',
        'time to resynchronized p50 / p99: ours; floor',
        "the staying consoles' fan-out p99, normal → storm: ours; floor",
      ],
      floors.map((floor) => {
        const row = rows.find((r) => r.via === floor.via);
        if (!row) return [floor.via, `— / ${Math.round(floor.perSecond)}`, '—', '—', '—', '—', '—'];
        if (floor.reconnected === 0)
          return [
            row.via === 'nginx' ? 'through nginx' : 'directly to B',
            `${Math.round(row.perSecond)} / n/a (the floor reconnected none)`,
            'n/a',
            'n/a',
            'n/a',
            'n/a',
            'n/a',
          ];
        return [
          row.via === 'nginx' ? 'through nginx' : 'directly to B',
          `${Math.round(row.perSecond)} / ${Math.round(floor.perSecond)}`,
          (row.perSecond / floor.perSecond).toFixed(2),
          `${perReconnection(row.cpu.instanceMs, row.reconnected)} / ${perReconnection(floor.cpu.instanceMs, floor.reconnected)}`,
          `${perReconnection(row.cpu.postgresMs, row.reconnected)} / ${perReconnection(floor.cpu.postgresMs, floor.reconnected)}`,
          `${formatMs(row.resyncP50)} / ${formatMs(row.resyncP99)}; ${formatMs(floor.resyncP50)} / ${formatMs(floor.resyncP99)}`,
          `${p(row.normal, 99)} → ${p(row.storm, 99)}; ${p(floor.normal, 99)} → ${p(floor.storm, 99)}`,
        ];
      }),
    );
  }
  if (capRow) {
    const rows = [
      ['ours', capRow],
      ['plain graphql-ws (floor.ts)', plainRow],
    ] as const;
    report.table(
      [
        'server',
        'MAX_SOCKETS',
        'consoles held',
        'fan-out to all p50 / p99',
        'p99 / plain',
        'RSS per console',
        'the next socket',
      ],
      rows.flatMap(([name, row]) =>
        row
          ? [
              [
                name,
                name === 'ours' ? row.cap : '—',
                row.held,
                `${p(row.fan, 50)} / ${p(row.fan, 99)} (${row.fan.length} events)`,
                plainRow?.fan.length && row.fan.length
                  ? (percentile(row.fan, 99) / percentile(plainRow.fan, 99)).toFixed(2)
                  : '—',
                `${(row.rssBytes / row.held / 1024).toFixed(1)} KB`,
                row.refused,
              ],
            ]
          : [],
      ),
    );
  }
  return report;
}

export const benchmark: Benchmark = {
  summary:
    'reconnect storm: consoles of a killed instance reconnecting directly and through nginx; sockets at the cap',
  run,
};
