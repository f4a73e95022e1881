import type { ActorRef } from '../../context/auth';
import { aliasedColumns, hydrate } from '../../db/rows';
import type { Tx } from '../../db/unit-of-work';
import { Conversation } from '../../entities/conversation.entity';
import { Message } from '../../entities/message.entity';
import type { Provider } from '../../entities/provider.entity';
import { ConversationEventKind } from '../../subscriptions/payloads';
import { emitConversationEvent } from '../conversation/conversation-events';

/** The code a send still queued when its provider was deleted is FAILED with (C1, C6). */
export const PROVIDER_REMOVED = 'PROVIDER_REMOVED';

/**
 * C1/C6: a provider is deleted with sends still queued for it (held while it was FAILING, or
 * not yet drained). Nothing can send them any more, and a QUEUED message nobody will send tells
 * the agent a lie: each is FAILED (`PROVIDER_REMOVED`, the provider named in the reason), with a
 * DELIVERY event on its conversation, in the deleting transaction, so the agent's console shows
 * it at once and the agent may retry it (through the campaign's provider as it is then). The
 * caller holds the provider's row lock: a reply being written for it either committed before
 * (and is failed here) or waits and is refused by its foreign key.
 */
export async function failSendsOfRemovedProvider(
  tx: Tx,
  provider: Provider,
  actor: ActorRef,
): Promise<number> {
  const dataSource = tx.manager.connection;
  const rows = (await tx.manager.query(
    `WITH failed AS (
       UPDATE message
          SET delivery_state = 'FAILED', delivery_error_code = $2, delivery_error_reason = $3,
              delivery_updated_at = now()
        WHERE provider_id = $1 AND delivery_state = 'QUEUED' AND provider_message_id IS NULL
        RETURNING *
     )
     SELECT ${aliasedColumns(dataSource, Message, 'm')} FROM failed m ORDER BY m.position`,
    [
      provider.id,
      PROVIDER_REMOVED,
      `Not sent: the provider "${provider.name}" was removed before this message went out`,
    ],
  )) as Array<Record<string, unknown>>;
  const messages = rows.map((row) => hydrate(dataSource, Message, row, 'm'));
  const conversations = new Map<string, Conversation>();
  for (const message of messages) {
    let conversation = conversations.get(message.conversationId);
    if (!conversation) {
      conversation = await tx.manager.findOneByOrFail(Conversation, { id: message.conversationId });
      conversations.set(conversation.id, conversation);
    }
    emitConversationEvent(tx, conversation, ConversationEventKind.DELIVERY, actor, message);
  }
  return messages.length;
}
