import type { EntityManager } from 'typeorm';
import { aliasedColumns, hydrate } from '../../db/rows';
import { Conversation } from '../../entities/conversation.entity';
import { Message } from '../../entities/message.entity';
import { Provider } from '../../entities/provider.entity';

/** The head of a conversation's outbox, with what sending it needs, read in one statement. */
export interface OutboxHead {
  message: Message;
  /** Null when the message has no provider, or its provider is gone. */
  provider: Provider | null;
  /** The customer's number the conversation is with; null when it has none. */
  to: string | null;
  /** How long to wait for the provider's send slot reserved for it (the per-number throttle). */
  waitMs: number;
}

/** The delivery rules that run in Postgres (delivery.sql); the only TypeScript naming them. */
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
    const rows = (await manager.query(
      `SELECT message_id AS "messageId", conversation_id AS "conversationId", moved
         FROM tandem_apply_delivery_status($1, $2, $3, $4, $5)`,
      [providerId, providerMessageId, state, code, reason],
    )) as Array<{ messageId: string; conversationId: string; moved: boolean }>;
    return rows[0] ?? null;
  }

  /**
   * The conversation's oldest message still to send (QUEUED, no provider id), its provider (its
   * health and sealed credentials, as they are now), the number to send to, and its provider's
   * next send slot reserved (`tandem_reserve_send_slot`; `waitMs` until it): one statement per
   * send instead of one per row. A slot reserved for a message that is then held or failed
   * only spaces the provider's next send by one interval.
   */
  async outboxHead(
    manager: EntityManager,
    conversationId: string,
    sendIntervalMs: number,
  ): Promise<OutboxHead | null> {
    const dataSource = manager.connection;
    // The slot is reserved outside the LIMIT: once, for the row returned.
    const [row] = (await manager.query(
      `SELECT h.*, tandem_reserve_send_slot(h.p_id, $2) AS wait_ms FROM (
         SELECT ${aliasedColumns(dataSource, Message, 'm')}, ${aliasedColumns(dataSource, Provider, 'p')},
                k.value AS to_number
           FROM message m
           JOIN conversation c ON c.id = m.conversation_id
           LEFT JOIN provider p ON p.id = m.provider_id
           LEFT JOIN contact k ON k.id = c.contact_id
          WHERE m.conversation_id = $1 AND m.delivery_state = 'QUEUED'
            AND m.provider_message_id IS NULL
          ORDER BY m.position LIMIT 1) h`,
      [conversationId, sendIntervalMs],
    )) as Array<Record<string, unknown>>;
    if (!row) return null;
    return {
      message: hydrate(dataSource, Message, row, 'm'),
      provider: row.p_id ? hydrate(dataSource, Provider, row, 'p') : null,
      to: (row.to_number as string | null) ?? null,
      waitMs: (row.wait_ms as number | null) ?? 0,
    };
  }

  /**
   * C6: the provider accepted the message (`tandem_record_sent`): its id recorded, SENT, a
   * FAILING provider OK again. The message and its conversation as they are now, for the
   * DELIVERY event; null when the message is gone.
   */
  async recordSent(
    manager: EntityManager,
    messageId: string,
    providerMessageId: string,
    attempts: number,
  ): Promise<{ message: Message; conversation: Conversation } | null> {
    const dataSource = manager.connection;
    const [row] = (await manager.query(
      `SELECT ${aliasedColumns(dataSource, Message, 'm')}, ${aliasedColumns(dataSource, Conversation, 'c')}
         FROM tandem_record_sent($1, $2, $3) m
         JOIN conversation c ON c.id = m.conversation_id`,
      [messageId, providerMessageId, attempts],
    )) as Array<Record<string, unknown>>;
    if (!row) return null;
    return {
      message: hydrate(dataSource, Message, row, 'm'),
      conversation: hydrate(dataSource, Conversation, row, 'c'),
    };
  }
}
