import http from 'node:http';

export interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * A kept-alive connection was closed under the request before any answer came: the server had
 * timed it out as idle (Node's `keepAliveTimeout`, 5 s) while the request was on its way, and
 * reset it with the request unread. Only a reused connection fails this way, and nothing came
 * back, so the request was most likely never run; a caller that cannot afford "most likely"
 * (an operation that routes) checks before sending it again.
 */
export class DroppedConnectionError extends Error {
  constructor(url: string, cause: Error) {
    super(`${url}: the kept-alive connection was closed under the request (${cause.message})`, {
      cause,
    });
  }
}

/** Requests of this process sent again after a DroppedConnectionError (idempotent ones). */
export const droppedConnections = { resent: 0 };

/** A connection idle this long is not reused: well under the server's keep-alive timeout (5 s). */
const REUSE_IDLE_MS = 2000;

/**
 * GraphQL over HTTP for one caller (its headers: token, window), on a keep-alive connection of
 * its own, with node's http (no fetch machinery in the measured path).
 */
export class GraphqlHttp {
  private agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private lastAnswerAt = 0;
  private inFlight = 0;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  /**
   * `idempotent`: the operation may run twice with the effect of once (a read, setting a
   * status, closing a conversation): sent again, on a new connection, when its kept-alive one
   * was dropped under it. Otherwise that failure is a DroppedConnectionError for the caller.
   */
  async post(body: string, { idempotent = false } = {}): Promise<GraphqlAnswer> {
    try {
      return await this.send(body);
    } catch (error) {
      if (!idempotent || !(error instanceof DroppedConnectionError)) throw error;
      droppedConnections.resent += 1;
      return this.send(body);
    }
  }

  private send(body: string): Promise<GraphqlAnswer> {
    // Under load the client's own idle timer (the server's `Keep-Alive: timeout` hint less 1 s)
    // can fire late, after the server closed the connection: don't offer an old one at all.
    if (
      this.inFlight === 0 &&
      this.lastAnswerAt &&
      Date.now() - this.lastAnswerAt > REUSE_IDLE_MS
    ) {
      this.agent.destroy();
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
    this.inFlight += 1;
    return new Promise<GraphqlAnswer>((resolve, reject) => {
      let answered = false;
      const request = http.request(
        this.url,
        {
          agent: this.agent,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': Buffer.byteLength(body),
            ...this.headers,
          },
        },
        (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            this.lastAnswerAt = Date.now();
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 200) {
              reject(new Error(`${this.url}: HTTP ${response.statusCode}: ${text.slice(0, 500)}`));
              return;
            }
            resolve(JSON.parse(text) as GraphqlAnswer);
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        const dropped =
          request.reusedSocket &&
          !answered &&
          (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        reject(dropped ? new DroppedConnectionError(this.url, error) : error);
      });
      request.end(body);
    }).finally(() => {
      this.inFlight -= 1;
    });
  }

  /** The answer's data; a failure when it carries errors. */
  async ok(body: string, options: { idempotent?: boolean } = {}): Promise<Record<string, unknown>> {
    const answer = await this.post(body, options);
    if (answer.errors?.length || !answer.data)
      throw new Error(`${this.url} answered errors: ${JSON.stringify(answer)}`);
    return answer.data;
  }

  close(): void {
    this.agent.destroy();
  }
}
