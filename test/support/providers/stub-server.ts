import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a provider stub received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: Date;
  /** The HTTP status the stub answered it with. */
  status?: number;
}

/** How the stub answers a send it is told to fail. */
export interface StubFailure {
  /** The HTTP status of the answer (429, 500, 401, 400, …). */
  status: number;
  /** The provider's error code in the body (Meta's `error.code`, Twilio's `code`). */
  code?: number;
  message?: string;
  /** Sent as `Retry-After` (seconds). */
  retryAfter?: number;
}

/** What a webhook delivery got back. */
export interface DeliveryAnswer {
  status: number;
  body: string;
}

export interface DeliverOptions {
  /** `valid` (default), `bad` (signed with another secret), `missing` (no signature header). */
  signature?: 'valid' | 'bad' | 'missing';
  /** Deliver this many times (default 1): the provider retrying. */
  times?: number;
  /** With `times`: all at once instead of one after the other. */
  concurrently?: boolean;
}

/**
 * The HTTP side every provider stub shares: a real server on a free loopback port that records
 * what it is sent and fails on demand (the next N sends, or every send to one recipient), and a
 * client that delivers webhooks to Tandem the way the provider does.
 */
export abstract class ProviderStubServer {
  readonly received: RecordedRequest[] = [];
  private server: http.Server | undefined;
  private baseUrl = '';
  private readonly nextFailures: StubFailure[] = [];
  private readonly failuresByRecipient = new Map<string, StubFailure>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private sequence = 0;

  /** Answers one API request; `fail` is the failure to answer with, if any. */
  protected abstract handle(
    request: RecordedRequest,
    fail: StubFailure | undefined,
  ): { status: number; body: unknown; headers?: Record<string, string> };

  /** The recipient a send request is for (to fail every send to one number). */
  protected abstract recipientOf(request: RecordedRequest): string | undefined;

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const hold = req.method === 'POST' ? this.hold : undefined;
        if (hold) {
          this.hold = undefined;
          hold.arrived();
          await hold.released;
        }
        const request: RecordedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: new Date(),
        };
        const recipient = this.recipientOf(request);
        const fail =
          (recipient && this.failuresByRecipient.get(recipient)) || this.nextFailures.shift();
        const answer = this.handle(request, fail);
        request.status = answer.status;
        this.received.push(request);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
        this.notify();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private hold: { arrived: () => void; released: Promise<void> } | undefined;

  /**
   * The next API request (a send) waits, unanswered, until `release()`: a send in flight, for a
   * test to act while the provider has it. `arrived` resolves once the request is here.
   */
  holdNextSend(): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.hold = { arrived, released };
    return { arrived: arrival, release };
  }

  /** The next `count` sends fail with `failure`, then sends succeed again. */
  failNext(count: number, failure: StubFailure): void {
    for (let i = 0; i < count; i++) this.nextFailures.push(failure);
  }

  /** Every send to this number fails with `failure` until `clearFailures`. */
  failSendsTo(number: string, failure: StubFailure): void {
    this.failuresByRecipient.set(number, failure);
  }

  clearFailures(): void {
    this.nextFailures.length = 0;
    this.failuresByRecipient.clear();
  }

  /** Resolves once the stub has received `count` requests in all. */
  async waitForRequests(count: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    if (this.received.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`stub received ${this.received.length} of ${count} requests`)),
          timeoutMs,
        );
        this.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.received.slice(0, count);
  }

  protected newId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}${randomBytes(12).toString('hex')}${this.sequence}`;
  }

  /** Posts a webhook body to `url` with the given headers, `times` times. */
  protected async post(
    url: string,
    body: string,
    headers: Record<string, string>,
    options: DeliverOptions,
  ): Promise<DeliveryAnswer[]> {
    const once = async (): Promise<DeliveryAnswer> => {
      const response = await fetch(url, { method: 'POST', headers, body });
      return { status: response.status, body: await response.text() };
    };
    const times = options.times ?? 1;
    if (options.concurrently) return Promise.all(Array.from({ length: times }, once));
    const answers: DeliveryAnswer[] = [];
    for (let i = 0; i < times; i++) answers.push(await once());
    return answers;
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => this.received.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.received.length < w.count);
    for (const waiter of ready) waiter.resolve();
  }
}
