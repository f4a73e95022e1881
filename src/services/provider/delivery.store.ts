import type { EntityManager } from 'typeorm';
import { preparedQuery } from '../../db/prepared';
import { aliasedColumns, hydrate } from '../../db/rows';
import { Message } from '../../entities/message.entity';
import { Provider } from '../../entities/provider.entity';

/** The head of a conversation's outbox, with what sending it needs, read in one statement. */
export interface OutboxHead {
  message: Message;
  /** Null when the message has no provider, or its provider is gone. */
  provider: Provider | null;
  /** The customer's number the conversation is with; null when it has none. */
  to: string | null;
  /**
   * How long, from when it was read, to wait for the provider's send slot reserved for it (the
   * per-number throttle).
   */
  waitMs: number;
}

/**
 * The delivery rules that run in Postgres (delivery.sql); the only TypeScript naming them. Each
 * statement is a named prepared one (`preparedQuery`): run once or more per send, the outbox's
 * head read (a CTE over four tables) was parsed and planned by Postgres every time.
 */
export class DeliveryStore {
  /**
   * C6: applies a status callback to the message the provider knows by this id. Null when no
   * such message is recorded (yet); `moved` false when the state may not move that way.
   */
  async applyStatus(
    manager: EntityManager,
    providerId: string,
    providerMessageId: string,
    state: string,
    code: string | null,
    reason: string | null,
  ): Promise<{ messageId: string; conversationId: string; moved: boolean } | null> {
    const rows = await preparedQuery<{ messageId: string; conversationId: string; moved: boolean }>(
      manager,
      `SELECT message_id AS "messageId", conversation_id AS "conversationId", moved
         FROM tandem_apply_delivery_status($1, $2, $3, $4, $5)`,
      [providerId, providerMessageId, state, code, reason],
    );
    return rows[0] ?? null;
  }

  /**
   * The conversation's oldest messages still to send (QUEUED, no provider id), at most `limit`
   * and only as far as they share the first one's provider (a campaign may have changed its
   * provider meanwhile: the next batch takes the rest), each with its provider (health and
   * sealed credentials, as they are now) and the number to send to; and as many of the
   * provider's send slots reserved (`tandem_reserve_send_slots`; one only for a FAILING
   * provider, whose drain may send one message as a probe). One statement per batch of sends.
   * A slot reserved for a message that is then held or failed only spaces the provider's next
   * sends by one interval each. `last`: nothing else was queued in the conversation when read
   * (fewer than `limit`, all in this batch), so once they are sent the drain is done without
   * reading again; a reply committed after the read added a job of its own (graphile-worker adds
   * a new job when the key's job is running).
   */
  async outboxBatch(
    manager: EntityManager,
    conversationId: string,
    sendIntervalMs: number,
    limit: number,
  ): Promise<{ heads: OutboxHead[]; last: boolean }> {
    const dataSource = manager.connection;
    this.batchText ??= DeliveryStore.outboxBatchText(manager.connection);
    const rows = await preparedQuery(manager, this.batchText, [
      conversationId,
      sendIntervalMs,
      limit,
    ]);
    return {
      heads: rows.map((row, n) => ({
        message: hydrate(dataSource, Message, row, 'm'),
        provider: row.p_id ? hydrate(dataSource, Provider, row, 'p') : null,
        to: (row.to_number as string | null) ?? null,
        waitMs: ((row.wait_ms as number | null) ?? 0) + n * sendIntervalMs,
      })),
      last: rows.length === 0 || rows[0]?.last === true,
    };
  }

  /**
   * The batch read's text, built once (from the entities' columns): built per call, it was a
   * new 2 KB string each time, hashed again to find its prepared statement's name.
   */
  private batchText: string | undefined;

  private static outboxBatchText(dataSource: EntityManager['connection']): string {
    return `WITH queued AS (
         SELECT m.id, m.provider_id, m.position FROM message m
          WHERE m.conversation_id = $1 AND m.delivery_state = 'QUEUED'
            AND m.provider_message_id IS NULL
          ORDER BY m.position LIMIT $3
       ), runs AS (
         SELECT q.id, q.position, q.provider_id,
                bool_and(q.provider_id IS NOT DISTINCT FROM h.provider_id)
                  OVER (ORDER BY q.position) AS same_provider,
                row_number() OVER (ORDER BY q.position) AS n
           FROM queued q
          CROSS JOIN (SELECT provider_id FROM queued ORDER BY position LIMIT 1) h
       ), batch AS (
         SELECT r.id, r.position, r.provider_id FROM runs r
           LEFT JOIN provider p ON p.id = r.provider_id
          WHERE r.same_provider AND (r.n = 1 OR p.health_state IS DISTINCT FROM 'FAILING')
       ), slots AS MATERIALIZED (
         SELECT tandem_reserve_send_slots(b.provider_id, $2, (SELECT count(*) FROM batch)::int) AS wait_ms
           FROM batch b
          WHERE b.provider_id IS NOT NULL AND b.position = (SELECT min(position) FROM batch)
       )
       SELECT ${aliasedColumns(dataSource, Message, 'm')}, ${aliasedColumns(dataSource, Provider, 'p')},
              k.value AS to_number, (SELECT wait_ms FROM slots) AS wait_ms,
              (SELECT count(*) FROM queued) < $3
                AND (SELECT count(*) FROM queued) = (SELECT count(*) FROM batch) AS last
         FROM batch b
         JOIN message m ON m.id = b.id
         JOIN conversation c ON c.id = m.conversation_id
         LEFT JOIN provider p ON p.id = m.provider_id
         LEFT JOIN contact k ON k.id = c.contact_id
        ORDER BY b.position`;
  }

  /**
   * C6: the provider accepted the message (`tandem_record_sent`, one statement committing on its
   * own): its id recorded, SENT, a FAILING provider OK again, its DELIVERY event logged pending.
   * Answers the streams for the sequencer to number; null when the message is gone.
   */
  async recordSent(
    manager: EntityManager,
    messageId: string,
    providerMessageId: string,
    attempts: number,
    actor: object,
  ): Promise<string[] | null> {
    const [row] = await preparedQuery<{ streams: string[] | null }>(
      manager,
      'SELECT tandem_record_sent($1, $2, $3, $4::jsonb) AS streams',
      [messageId, providerMessageId, attempts, JSON.stringify(actor)],
    );
    return row?.streams ?? null;
  }
}
