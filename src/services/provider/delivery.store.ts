import type { EntityManager } from 'typeorm';

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

  /** Reserves the provider's next send slot: milliseconds to wait before sending. */
  async reserveSendSlot(
    manager: EntityManager,
    providerId: string,
    intervalMs: number,
  ): Promise<number> {
    const [row] = (await manager.query('SELECT tandem_reserve_send_slot($1, $2) AS wait', [
      providerId,
      intervalMs,
    ])) as Array<{ wait: number | null }>;
    return row?.wait ?? 0;
  }
}
