import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BaselineWsServer, startBaselineWsServer } from '../support/baselines/graphql-ws';

/** The channel the bare server broadcasts arrivals on. */
export const BARE_CHANNEL = 'campaign';

export interface BareWebhookServer {
  /** Where webhooks are posted. */
  url: string;
  ws: BaselineWsServer;
  stop(): Promise<void>;
}

interface Notification {
  entry?: Array<{
    changes?: Array<{ value?: { messages?: Array<{ from: string; text?: { body: string } }> } }>;
  }>;
}

/**
 * The baseline of the webhook figures: a bare node `http` handler that verifies Meta's
 * `X-Hub-Signature-256` over the raw bytes (HMAC-SHA256, constant-time compare) as ours does,
 * answers 200, and broadcasts each message's ARRIVED (its number) to the subscribers of a plain graphql-ws server
 * (`baselines/graphql-ws.ts`). Nothing stored, no job, no access check: the floor.
 */
export async function startBareWebhookServer(appSecret: string): Promise<BareWebhookServer> {
  const ws = await startBaselineWsServer();
  let seq = 0;
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
      response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      const notification = JSON.parse(raw.toString('utf8')) as Notification;
      for (const entry of notification.entry ?? []) {
        for (const change of entry.changes ?? []) {
          for (const message of change.value?.messages ?? []) {
            seq += 1;
            ws.publish(BARE_CHANNEL, {
              seq,
              kind: 'ARRIVED',
              at: new Date().toISOString(),
              // The customer's number, as ours' ARRIVED names it (Meta sends it without '+').
              body: `+${message.from}`,
            });
          }
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    ws,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await ws.stop();
    },
  };
}
