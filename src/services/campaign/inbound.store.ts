import type { DataSource } from 'typeorm';
import type { ActorRef } from '../../context/auth';
import type { EventEnvelope } from '../../db/events';
import { preparedQuery } from '../../db/prepared';

/** A customer's message as `tandem_inbound_receive` takes it: normalized and checked already. */
export interface InboundRow {
  /** The customer's number, E.164. */
  from: string;
  /** A new customer's name (the profile name, else the number). */
  name: string;
  /** As stored: trimmed, cut to the longest body, never empty. */
  body: string;
  providerMessageId: string;
  providerTimestamp: Date;
  contentType: string;
  /** When the reply window this message opens closes (null: none). */
  windowClosesAt: Date | null;
}

/** What one message of a delivery came to (the order given). */
export interface InboundRowResult {
  conversationId: string;
  messageId: string;
  /** The provider message id was already stored: nothing of this one was written. */
  duplicate: boolean;
}

/** C3's SQL (inbound.sql); the only TypeScript naming its functions. */
export class InboundStore {
  /**
   * The messages of one delivery stored in one statement that commits on its own
   * (`tandem_inbound_receive`): per message, the number locked for the provider, its contact
   * (made with its customer when unknown), the interaction it joins or a new one, the message
   * (insert-or-ignore on its provider id), and their events, appended numbered; with
   * `webhookId`, the delivery marked processed in the same commit. Null when the provider serves
   * no campaign (nothing is written then). The events are the caller's to publish.
   */
  async receive(
    dataSource: DataSource,
    providerId: string,
    rows: InboundRow[],
    actor: ActorRef,
    webhookId: string | null,
  ): Promise<{ results: InboundRowResult[]; events: EventEnvelope[] } | null> {
    const [row] = await preparedQuery<{
      stored: { results: InboundRowResult[]; events: EventEnvelope[] } | null;
    }>(dataSource, 'SELECT tandem_inbound_receive($1, $2::jsonb, $3::jsonb, $4) AS stored', [
      providerId,
      JSON.stringify(
        rows.map((message) => ({
          lock_key: inboundLockKey(providerId, message.from),
          from: message.from,
          name: message.name,
          body: message.body,
          provider_message_id: message.providerMessageId,
          provider_timestamp: message.providerTimestamp.toISOString(),
          content_type: message.contentType,
          window_closes_at: message.windowClosesAt?.toISOString() ?? null,
        })),
      ),
      JSON.stringify(actor),
      webhookId,
    ]);
    return row?.stored ?? null;
  }
}

/** The advisory lock of a number for a provider (its key; hashed by Postgres). */
export function inboundLockKey(providerId: string, number: string): string {
  return `inbound:${providerId}:${number}`;
}
