import { registerEnumType } from 'type-graphql';
import type { ActorRef } from '../context/auth';
import type { AgentChatMessage } from '../entities/agent-chat-message.entity';
import type { AssistSession } from '../entities/assist-session.entity';
import type { Conversation } from '../entities/conversation.entity';
import type { HelperAssignment } from '../entities/helper-assignment.entity';
import type { Message } from '../entities/message.entity';
import type { Staff } from '../entities/staff.entity';
import type { Snapshot } from './snapshot';

/**
 * What every stream's payload holds: what happened (`kind`, the stream's own enum) and who caused
 * it (`actor`; a stream whose every event has a cause says so by requiring it).
 */
interface StreamEvent<Kind> {
  kind: Kind;
  actor?: ActorRef;
}

export enum ConversationEventKind {
  CREATED = 'CREATED',
  MESSAGE = 'MESSAGE',
  ASSIGNED = 'ASSIGNED',
  CLOSED = 'CLOSED',
  REOPENED = 'REOPENED',
  ARCHIVED = 'ARCHIVED',
  DELETED = 'DELETED',
  /** Nobody could take it: it waits in the inbox's queue (R9). */
  QUEUED = 'QUEUED',
  /** Routing gave it to an agent (or moved it to this inbox); `conversation.routingReason` says why. */
  ROUTED = 'ROUTED',
  /** An outgoing message's delivery state changed (`message.deliveryState`), C6. */
  DELIVERY = 'DELIVERY',
}

registerEnumType(ConversationEventKind, {
  name: 'ConversationEventKind',
  description: 'What happened to a conversation of the inbox.',
});

export enum TicketLockEventKind {
  /** First event of a subscription: every current lock of the inbox (`locks`). */
  SNAPSHOT = 'SNAPSHOT',
  LOCKED = 'LOCKED',
  RELEASED = 'RELEASED',
  /** Someone took the ticket from its holder (`actor` says who). */
  FORCED_RELEASE = 'FORCED_RELEASE',
  /** The ticket was closed, archived, deleted or reassigned (`note` says what). */
  MOVED = 'MOVED',
}

registerEnumType(TicketLockEventKind, {
  name: 'TicketLockEventKind',
  description: 'What happened to the co-working locks of an inbox.',
});

/** A lock as the SQL functions write it (tandem_lock_json). */
export interface TicketLockSnapshot {
  conversationId: string;
  inboxId: string;
  sessionId: string | null;
  token: number;
  acquiredAt: string | null;
  holder: Snapshot<Staff> | null;
}

/** Payload of the `inboxLocks` stream. */
export interface TicketLockEventPayload extends StreamEvent<TicketLockEventKind> {
  conversationId?: string;
  lock?: TicketLockSnapshot | null;
  /** SNAPSHOT only. */
  locks?: TicketLockSnapshot[];
  note?: string | null;
}

/** Payload of the `inboxConversations` stream: the conversation as it was right after the change. */
export interface ConversationEventPayload extends StreamEvent<ConversationEventKind> {
  actor: ActorRef;
  conversation: Snapshot<Conversation>;
  message?: Snapshot<Message>;
}

export enum HelperChangeKind {
  /** First event: every current helper assignment in view. */
  SNAPSHOT = 'SNAPSHOT',
  ADDED = 'ADDED',
  ENDED = 'ENDED',
}

registerEnumType(HelperChangeKind, { name: 'HelperChangeKind' });

/** Payload of the `customerHelpers` and `staffHelping` streams. */
export interface HelperChangePayload extends StreamEvent<HelperChangeKind> {
  assignment?: Snapshot<HelperAssignment>;
  /** SNAPSHOT only. */
  assignments?: Snapshot<HelperAssignment>[];
}

export enum NotificationKind {
  /** A customer you help started a conversation (its first message, if any, is `message`). */
  CONVERSATION_STARTED = 'CONVERSATION_STARTED',
  /** A customer you help wrote. */
  CUSTOMER_MESSAGE = 'CUSTOMER_MESSAGE',
}

registerEnumType(NotificationKind, { name: 'NotificationKind' });

/** Payload of the `staffNotifications` stream. */
export interface NotificationPayload extends StreamEvent<NotificationKind> {
  customerId: string;
  conversation: Snapshot<Conversation>;
  message?: Snapshot<Message>;
}

export enum AssignmentEventKind {
  /** A conversation is yours now. */
  ASSIGNED = 'ASSIGNED',
  /** A conversation was given to someone else (or back to the queue). */
  UNASSIGNED = 'UNASSIGNED',
}

registerEnumType(AssignmentEventKind, { name: 'AssignmentEventKind' });

/** Payload of the `staffAssignments` stream (`myAssignments`). */
export interface AssignmentEventPayload extends StreamEvent<AssignmentEventKind> {
  conversation: Snapshot<Conversation>;
  actor: ActorRef;
}

export enum AssistChangeKind {
  /** First event: the staff member's open assist session, or none (`session` null). */
  SNAPSHOT = 'SNAPSHOT',
  STARTED = 'STARTED',
  /** Ended by the agent, or by Tandem (`session.outcome` says how). */
  ENDED = 'ENDED',
  /** A session started without a customer now names the customer just registered. */
  CUSTOMER_BOUND = 'CUSTOMER_BOUND',
}

registerEnumType(AssistChangeKind, { name: 'AssistChangeKind' });

/** Payload of the `staffAssist` stream (`activeAssistChanges`). */
export interface AssistChangePayload extends StreamEvent<AssistChangeKind> {
  session: Snapshot<AssistSession> | null;
}

export enum QueueEventKind {
  /** First event of a subscription: the campaign's waiting interactions, oldest first. */
  SNAPSHOT = 'SNAPSHOT',
  /** An interaction started waiting in the campaign's queue. */
  ARRIVED = 'ARRIVED',
  /** A member took it (`actor`). */
  TAKEN = 'TAKEN',
  /** It waited past the campaign's abandon timeout, or an integration saw the customer leave. */
  ABANDONED = 'ABANDONED',
  /** It went back to the front of the queue, keeping its `waitingSince`. */
  REQUEUED = 'REQUEUED',
}

registerEnumType(QueueEventKind, {
  name: 'QueueEventKind',
  description: "What happened in a campaign's queue (C5).",
});

/** A waiting (or just taken or abandoned) interaction, as queue events carry it. */
export interface QueuedInteractionSnapshot {
  conversationId: string;
  campaignId: string;
  /** The customer's number, E.164. */
  number: string | null;
  waitingSince: string;
  customerId: string;
}

/** Payload of the `campaignQueue` stream. */
export interface QueueEventPayload extends StreamEvent<QueueEventKind> {
  campaignId: string;
  interaction?: QueuedInteractionSnapshot;
  /** SNAPSHOT only, oldest first. */
  waiting?: QueuedInteractionSnapshot[];
}

export enum AgentSupervisionKind {
  /** A supervisor paused the agent (`reason` says why): no new interactions are offered. */
  PAUSED = 'PAUSED',
  RESUMED = 'RESUMED',
  /** A supervisor revoked every session of the agent (C14). */
  DISCONNECTED = 'DISCONNECTED',
}

registerEnumType(AgentSupervisionKind, {
  name: 'AgentSupervisionKind',
  description: 'What a supervisor did to an agent.',
});

/** Payload of the `staffSupervision` stream. */
export interface AgentSupervisionPayload extends StreamEvent<AgentSupervisionKind> {
  staffId: string;
  reason: string | null;
  actor: ActorRef;
}

export enum AgentChatEventKind {
  /** A message sent or received (`message`). */
  MESSAGE = 'MESSAGE',
  /** Messages were read (`read`): the reader's badges and the sender's receipts follow. */
  READ = 'READ',
}

registerEnumType(AgentChatEventKind, { name: 'AgentChatEventKind' });

/** Payload of the `staffChat` stream. */
export interface AgentChatEventPayload extends StreamEvent<AgentChatEventKind> {
  message?: Snapshot<AgentChatMessage>;
  read?: { readerId: string; senderId: string; count: number };
  actor: ActorRef;
}
