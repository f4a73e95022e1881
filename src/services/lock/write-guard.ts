import type { Tx } from '../../db/unit-of-work';
import type { Conversation } from '../../entities/conversation.entity';
import { ConflictError, DomainError, ErrorCode, NotFoundError } from '../../errors/domain-error';

/** What a write on a ticket may state it relies on. */
export interface WriteGuard {
  /** The fencing token the writer's lock was given (L10). */
  lockToken?: number | null;
  /** The last message the writer has seen (L12). */
  lastSeenMessageId?: string | null;
}

/** Most missed messages a CONFLICT lists. */
const MAX_MISSED = 50;

export class LockLostError extends DomainError {
  constructor(currentToken: number) {
    super(
      ErrorCode.LOCK_LOST,
      'Someone else opened this ticket since your lock was given: reopen it before writing',
      {
        currentToken,
      },
    );
  }
}

/**
 * Refuses a write on a ticket that relies on a lock or a view that is no longer current. Runs in
 * the write's transaction; the lock row is read FOR SHARE, so an acquisition racing this write
 * waits for it, and gets a token the next stale write will be refused with.
 */
export async function requireCurrentView(
  tx: Tx,
  conversation: Conversation,
  guard: WriteGuard,
): Promise<void> {
  if (guard.lockToken !== undefined && guard.lockToken !== null) {
    const [lock] = (await tx.manager.query(
      'SELECT token FROM ticket_lock WHERE conversation_id = $1 FOR SHARE',
      [conversation.id],
    )) as Array<{ token: string }>;
    const current = Number(lock?.token ?? 0);
    if (current > guard.lockToken) throw new LockLostError(current);
  }
  if (guard.lastSeenMessageId) {
    const [seen] = (await tx.manager.query(
      'SELECT position FROM message WHERE id = $1 AND conversation_id = $2',
      [guard.lastSeenMessageId, conversation.id],
    )) as Array<{ position: string }>;
    if (!seen) throw new NotFoundError('Message', guard.lastSeenMessageId);
    const missed = (await tx.manager.query(
      `SELECT id, body, direction, author_kind, created_at FROM message
        WHERE conversation_id = $1 AND position > $2 ORDER BY position LIMIT ${MAX_MISSED}`,
      [conversation.id, seen.position],
    )) as Array<{
      id: string;
      body: string;
      direction: string;
      author_kind: string;
      created_at: Date;
    }>;
    if (missed.length) {
      throw new ConflictError(
        `${missed.length} message(s) arrived since the one you saw: read them first`,
        {
          missedMessages: missed.map((m) => ({
            id: m.id,
            body: m.body,
            direction: m.direction,
            authorKind: m.author_kind,
            createdAt: m.created_at.toISOString(),
          })),
        },
      );
    }
  }
}
