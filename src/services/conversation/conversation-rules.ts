import type { Conversation } from '../../entities/conversation.entity';
import { ConversationStatus } from '../../entities/enums';
import { ConflictError } from '../../errors/domain-error';

export function requireNotArchived(conversation: Conversation): void {
  if (conversation.status === ConversationStatus.ARCHIVED) {
    throw new ConflictError('The conversation is archived and can no longer change', {
      status: conversation.status,
    });
  }
}
