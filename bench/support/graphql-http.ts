import http from 'node:http';

export interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * GraphQL over HTTP for one caller (its headers: token, window), on a keep-alive connection of
 * its own, with node's http (no fetch machinery in the measured path).
 */
export class GraphqlHttp {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  post(body: string): Promise<GraphqlAnswer> {
    return new Promise((resolve, reject) => {
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
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 200) {
              reject(new Error(`${this.url}: HTTP ${response.statusCode}: ${text.slice(0, 500)}`));
              return;
            }
            resolve(JSON.parse(text) as GraphqlAnswer);
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** The answer's data; a failure when it carries errors. */
  async ok(body: string): Promise<Record<string, unknown>> {
    const answer = await this.post(body);
    if (answer.errors?.length || !answer.data)
      throw new Error(`${this.url} answered errors: ${JSON.stringify(answer)}`);
    return answer.data;
  }

  close(): void {
    this.agent.destroy();
  }
}
