import { Client } from 'pg';

/**
 * The outbox's floor (C6): the durable work no outbox that never loses nor doubles a send can
 * skip, and nothing else. The sends are rows written before the round (as ours' replies are
 * stored before its round); each of `workers` loops owns a share of the conversations (so a
 * conversation's sends go in order, and no two workers take the same row) and, per send, reads
 * its next unsent row (one statement), posts it to the stub, then records the provider's id
 * (one statement, a synchronous commit: the write that makes "never sent again" hold). No job
 * queue, no lock, no throttle, no event, no state machine.
 */
export class OutboxFloor {
  private readonly clients: Client[] = [];

  constructor(
    private readonly databaseUrl: string,
    private readonly workers: number,
  ) {}

  async start(): Promise<this> {
    for (let w = 0; w < this.workers; w++) {
      const client = new Client({ connectionString: this.databaseUrl, application_name: 'floor' });
      await client.connect();
      this.clients.push(client);
    }
    await (this.clients[0] as Client).query(`
      CREATE TABLE IF NOT EXISTS bench_outbox_floor (
        id bigserial PRIMARY KEY, worker int NOT NULL, conversation int NOT NULL,
        to_number text NOT NULL, body text NOT NULL, provider_message_id text);
      CREATE INDEX IF NOT EXISTS bench_outbox_floor_next
        ON bench_outbox_floor (worker, id) WHERE provider_message_id IS NULL`);
    return this;
  }

  /** The round's sends, queued (not timed): the n-th goes to `conversations[n % length]`. */
  async queue(sends: Array<{ conversation: number; to: string; body: string }>): Promise<void> {
    const client = this.clients[0] as Client;
    await client.query('TRUNCATE bench_outbox_floor');
    await client.query(
      `INSERT INTO bench_outbox_floor (worker, conversation, to_number, body)
       SELECT s.conversation % $2, s.conversation, s.to_number, s.body
         FROM jsonb_to_recordset($1::jsonb) AS s(conversation int, to_number text, body text)`,
      [
        JSON.stringify(
          sends.map((s) => ({ conversation: s.conversation, to_number: s.to, body: s.body })),
        ),
        this.workers,
      ],
    );
    await client.query('ANALYZE bench_outbox_floor');
  }

  /** Sends every queued row through `post` (answers the provider's id); the count sent. */
  async drain(post: (to: string, body: string) => Promise<string>): Promise<number> {
    const sent = await Promise.all(
      this.clients.map(async (client, worker) => {
        let count = 0;
        for (;;) {
          const { rows } = await client.query<{ id: string; to_number: string; body: string }>(
            `SELECT id, to_number, body FROM bench_outbox_floor
              WHERE worker = $1 AND provider_message_id IS NULL ORDER BY id LIMIT 1`,
            [worker],
          );
          const next = rows[0];
          if (!next) return count;
          const providerMessageId = await post(next.to_number, next.body);
          await client.query(
            'UPDATE bench_outbox_floor SET provider_message_id = $2 WHERE id = $1',
            [next.id, providerMessageId],
          );
          count += 1;
        }
      }),
    );
    return sent.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    for (const client of this.clients.splice(0)) await client.end();
  }
}
