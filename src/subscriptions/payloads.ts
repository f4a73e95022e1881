import { registerEnumType } from 'type-graphql';
import type { ActorRef } from '../context/auth';
import type { Conversation } from '../entities/conversation.entity';
import type { Message } from '../entities/message.entity';
import type { Snapshot } from './snapshot';

export enum ConversationEventKind {
  CREATED = 'CREATED',
  MESSAGE = 'MESSAGE',
  ASSIGNED = 'ASSIGNED',
  CLOSED = 'CLOSED',
  REOPENED = 'REOPENED',
  ARCHIVED = 'ARCHIVED',
  DELETED = 'DELETED',
}

registerEnumType(ConversationEventKind, {
  name: 'ConversationEventKind',
  description: 'What happened to a conversation of the inbox.',
});

/** Payload of the `inboxConversations` stream: the conversation as it was right after the change. */
export interface ConversationEventPayload {
  kind: ConversationEventKind;
  actor: ActorRef;
  conversation: Snapshot<Conversation>;
  message?: Snapshot<Message>;
}
