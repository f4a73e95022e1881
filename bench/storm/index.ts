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
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../../src/db/embedded-postgres';
import { Nginx } from '../../scripts/nginx';
import type { BenchContext, Benchmark } from '../support/benchmark';
import { GraphqlHttp } from '../support/graphql-http';
import { describeMachine } from '../support/machine';
import { openBenchDatabase } from '../support/postgres';
import { openBenchRedis } from '../support/redis';
import { percentile } from '../support/stats';
import { RawConsole } from './consoles';
import { seedStorm, type StormSeed } from './seed';

interface Options {
  consoles: number;
  others: number;
  rate: number;
  measureSeconds: number;
  cap: number;
  via: Array<'direct' | 'nginx'>;
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
    },
  });
  return {
    consoles: Number(values.consoles ?? 5000),
    others: Number(values.others ?? 500),
    rate: Number(values.rate ?? 4),
    measureSeconds: Number(values.measure ?? 8),
    cap: Number(values.cap ?? 10000),
    via: (values.via ?? 'direct,nginx').split(',') as Options['via'],
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An instance in a process of its own, its descriptor limit raised (`ulimit -n`). */
class InstanceProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly wsUrl: string,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(context: BenchContext, env: Record<string, string>): Promise<InstanceProcess> {
    const port = await freePort();
    const child = spawn(
      'sh',
      [
        '-c',
        `ulimit -n 65536 2>/dev/null || true; exec "${process.execPath}" -r @swc-node/register bench/storm/instance.ts`,
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

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Connects consoles `batch` at a time. */
async function connectAll(consoles: RawConsole[], url: string, batch = 100): Promise<void> {
  for (let i = 0; i < consoles.length; i += batch) {
    await Promise.all(consoles.slice(i, i + batch).map((c) => c.connect(url)));
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
}

async function run(context: BenchContext) {
  const opts = options(context.args);
  const machine = describeMachine();
  const db = await openBenchDatabase(context);
  const redis = await openBenchRedis(context);
  // The benchmark stores no provider secrets; its instances share a key of this run.
  const secretsKey = randomBytes(32);
  const seed = await seedStorm(db.url, redis.url, secretsKey);
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

  const b = await InstanceProcess.start(context, env);
  const others = Array.from(
    { length: opts.others },
    () => new RawConsole(seed.token, seed.inboxId),
  );
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
    const storm = Array.from(
      { length: opts.consoles },
      () => new RawConsole(seed.token, seed.inboxId),
    );
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
    const resyncs: number[] = [];
    const reconnecting = storm.map(async (c) => {
      await c.closed();
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await c.connect(target);
          resyncs.push(Date.now() - killedAt);
          return true;
        } catch {
          await pause(50 + Math.random() * 100 * 2 ** Math.min(attempt, 5));
        }
      }
      return false;
    });
    // The consoles see their sockets close when A's process is gone.
    await a.kill();
    const outcomes = await Promise.all(reconnecting);
    const stormTo = Date.now();
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
    });
    context.log(
      `${via}: ${JSON.stringify({ ...rows.at(-1), normal: undefined, storm: undefined })}`,
    );
    for (const c of storm) c.close();
    await nginx?.stop();
    await pause(3000); // B ends the closed windows
  }
  for (const c of others) c.close();

  // Sockets at the cap: one instance, MAX_SOCKETS = cap, that many consoles, then one more.
  let capRow: { cap: number; held: number; fan: number[]; refused: string } | undefined;
  if (opts.cap > 0) {
    const c = await InstanceProcess.start(context, { ...env, MAX_SOCKETS: String(opts.cap) });
    const held = Array.from({ length: opts.cap }, () => new RawConsole(seed.token, seed.inboxId));
    const capStart = Date.now();
    await connectAll(held, c.wsUrl, 200);
    context.log(`cap: ${opts.cap} consoles in ${Date.now() - capStart} ms`);
    const extra = new RawConsole(seed.token, seed.inboxId);
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
    capRow = { cap: opts.cap, held: held.length, fan: fanOut(held, from, Date.now()), refused };
    for (const console_ of held) console_.close();
  }

  const report = new Report().note(
    `${machine}; ${db.description}; ${redis.description}. ${opts.others} consoles stay on B all along; lock operations at ${opts.rate}/s over HTTP on B; fan-out is an event's commit (\`at\`) to the last of B's consoles receiving it, per event.`,
  );
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
  if (capRow) {
    report.table(
      ['MAX_SOCKETS', 'consoles held', 'fan-out to all p50 / p99', 'the next socket'],
      [
        [
          capRow.cap,
          capRow.held,
          `${p(capRow.fan, 50)} / ${p(capRow.fan, 99)} (${capRow.fan.length} events)`,
          capRow.refused,
        ],
      ],
    );
  }
  return report;
}

export const benchmark: Benchmark = {
  summary:
    'reconnect storm: consoles of a killed instance reconnecting directly and through nginx; sockets at the cap',
  run,
};
