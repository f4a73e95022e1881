import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
function carriesToken(header: string | undefined, expected: Buffer): boolean {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

/**
 * GET /metrics in Prometheus's text format; with a token, only for a request that carries it
 * (401 otherwise, saying nothing of what is there).
 */
export function metricsHandler(
  metrics: Metrics,
  token: string | undefined,
  logger: Logger,
): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res) => {
    if (expected && !carriesToken(req.headers.authorization, expected)) {
      res.setHeader('www-authenticate', 'Bearer realm="metrics"');
      res
        .status(401)
        .json({ errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }] });
      return;
    }
    metrics.render().then(
      (text) => {
        res.setHeader('content-type', metrics.contentType);
        res.setHeader('cache-control', 'no-store');
        res.send(text);
      },
      (error: unknown) => {
        logger.error('rendering the metrics failed', error);
        res.status(500).end();
      },
    );
  };
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * /metrics alone on a listen address of its own (METRICS_ADDRESS): an address only the monitoring
 * network reaches, kept off the port the load balancer exposes. Anything else there is a 404.
 */
export async function listenForMetrics(
  address: { host: string; port: number },
  handler: RequestHandler,
): Promise<MetricsListener> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', handler);
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
