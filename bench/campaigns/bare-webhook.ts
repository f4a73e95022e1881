import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { type BaselineWsServer, startBaselineWsServer } from '../support/baselines/graphql-ws';

/** The channel the bare server broadcasts arrivals on. */
export const BARE_CHANNEL = 'campaign';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** When the floor had stored a message's interaction and published its ARRIVED (hrtime ms). */
export interface FloorTrace {
  /** The message's processing began (the webhook answered). */
  processStart: number;
  /** Its writes committed and its ARRIVED handed to the PubSub. */
  published: number;
}

export interface BareWebhookServer {
  /** Where webhooks are posted. */
  url: string;
  ws: BaselineWsServer;
  /** The floor's: per number (E.164), when it was processed. Empty for the bare handler. */
  traces: Map<string, FloorTrace>;
  stop(): Promise<void>;
}

interface Notification {
  entry?: Array<{
    changes?: Array<{
      value?: { messages?: Array<{ id: string; from: string; text?: { body: string } }> };
    }>;
  }>;
}

/**
 * The floor's own tables, beside ours in the benchmark's database: the raw delivery, the
 * number (unique), the waiting interaction (the queue entry) and the message (its provider id
 * unique, as ours).
 */
const FLOOR_TABLES = `
  CREATE TABLE IF NOT EXISTS bench_floor_webhook (
    id bigserial PRIMARY KEY, raw_body bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(), processed_at timestamptz);
  CREATE TABLE IF NOT EXISTS bench_floor_contact (id bigserial PRIMARY KEY, number text NOT NULL UNIQUE);
  CREATE TABLE IF NOT EXISTS bench_floor_interaction (
    id bigserial PRIMARY KEY, contact_id bigint NOT NULL,
    waiting_since timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS bench_floor_message (
    id bigserial PRIMARY KEY, interaction_id bigint NOT NULL,
    provider_message_id text NOT NULL UNIQUE, body text NOT NULL)`;

/**
 * One message of a stored delivery, in one statement: the number's contact (insert or get), a
 * new interaction waiting in the queue, the message (insert-or-ignore on its provider id), and
 * the delivery marked processed.
 */
const FLOOR_PROCESS = `
  WITH c AS (INSERT INTO bench_floor_contact (number) VALUES ($1)
               ON CONFLICT (number) DO UPDATE SET number = EXCLUDED.number RETURNING id),
       i AS (INSERT INTO bench_floor_interaction (contact_id) SELECT id FROM c
               RETURNING id, waiting_since),
       m AS (INSERT INTO bench_floor_message (interaction_id, provider_message_id, body)
               SELECT id, $2, $3 FROM i ON CONFLICT (provider_message_id) DO NOTHING RETURNING id),
       w AS (UPDATE bench_floor_webhook SET processed_at = now() WHERE id = $4)
  SELECT i.waiting_since, (SELECT count(*) FROM m)::int AS stored FROM i`;

/**
 * The baselines of the webhook figures: a bare node `http` handler that verifies Meta's
 * `X-Hub-Signature-256` over the raw bytes (HMAC-SHA256, constant-time compare) as ours does,
 * answers 200, and broadcasts each message's ARRIVED (its number) to the subscribers of a plain
 * graphql-ws server (`baselines/graphql-ws.ts`). Nothing stored, no job, no access check.
 *
 * With `databaseUrl`, the **floor**: the same handler doing the writes no server can skip, in
 * two statements and no job queue: the raw delivery stored before the 200 (so that it is never
 * lost), then the number, the interaction and the message in one statement, then the broadcast.
 */
export async function startBareWebhookServer(
  appSecret: string,
  options: { databaseUrl?: string } = {},
): Promise<BareWebhookServer> {
  const ws = await startBaselineWsServer();
  const traces = new Map<string, FloorTrace>();
  let pool: Pool | undefined;
  if (options.databaseUrl) {
    pool = new Pool({ connectionString: options.databaseUrl, max: 10 });
    await pool.query(FLOOR_TABLES);
  }
  let seq = 0;
  const publish = (from: string) => {
    seq += 1;
    ws.publish(BARE_CHANNEL, {
      seq,
      kind: 'ARRIVED',
      at: new Date().toISOString(),
      // The customer's number, as ours' ARRIVED names it (Meta sends it without '+').
      body: `+${from}`,
    });
  };
  const handle = async (raw: Buffer, response: http.ServerResponse) => {
    const notification = JSON.parse(raw.toString('utf8')) as Notification;
    const messages = (notification.entry ?? []).flatMap((entry) =>
      (entry.changes ?? []).flatMap((change) => change.value?.messages ?? []),
    );
    if (!pool) {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      for (const message of messages) publish(message.from);
      return;
    }
    const { rows } = await pool.query<{ id: string }>({
      name: 'floor-store',
      text: 'INSERT INTO bench_floor_webhook (raw_body) VALUES ($1) RETURNING id',
      values: [raw],
    });
    response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    for (const message of messages) {
      const processStart = nowMs();
      await pool.query({
        name: 'floor-process',
        text: FLOOR_PROCESS,
        values: [`+${message.from}`, message.id, message.text?.body ?? '', rows[0]?.id],
      });
      publish(message.from);
      traces.set(`+${message.from}`, { processStart, published: nowMs() });
    }
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const given = Buffer.from(String(request.headers['x-hub-signature-256'] ?? ''));
      const expected = Buffer.from(
        `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`,
      );
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        response.writeHead(401).end();
        return;
      }
      handle(raw, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500).end(String(error));
        else console.error('floor: processing failed', error);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    ws,
    traces,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await ws.stop();
      await pool?.end();
    },
  };
}
