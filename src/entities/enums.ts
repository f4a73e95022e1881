import { registerEnumType } from 'type-graphql';

export enum Role {
  ADMIN = 'ADMIN',
  SUPERVISOR = 'SUPERVISOR',
  DISPATCHER = 'DISPATCHER',
  AGENT = 'AGENT',
  /** Partner API keys: only what the policy grants integrations. */
  INTEGRATION = 'INTEGRATION',
}

export enum StaffStatus {
  ONLINE = 'ONLINE',
  AWAY = 'AWAY',
  OFFLINE = 'OFFLINE',
}

export enum Channel {
  VOICE = 'VOICE',
  VOICEMAIL = 'VOICEMAIL',
  EMAIL = 'EMAIL',
  CHAT = 'CHAT',
  SMS = 'SMS',
  WHATSAPP = 'WHATSAPP',
}

export enum ContactKind {
  PHONE = 'PHONE',
  EMAIL = 'EMAIL',
  /** An id on a messaging network or chat widget that is not a phone number. */
  MESSAGING_ID = 'MESSAGING_ID',
}

export enum ConversationStatus {
  OPEN = 'OPEN',
  CLOSED = 'CLOSED',
  ARCHIVED = 'ARCHIVED',
}

export enum Direction {
  INCOMING = 'INCOMING',
  OUTGOING = 'OUTGOING',
}

export enum DeliveryState {
  /** Inbound: stored. */
  RECEIVED = 'RECEIVED',
  /** Outbound: waiting in the outbox. */
  QUEUED = 'QUEUED',
  SENT = 'SENT',
  DELIVERED = 'DELIVERED',
  READ = 'READ',
  FAILED = 'FAILED',
}

export enum AuthorKind {
  CUSTOMER = 'CUSTOMER',
  STAFF = 'STAFF',
  API_KEY = 'API_KEY',
  SYSTEM = 'SYSTEM',
}

/** Why a conversation went where it went (R10). */
export enum RoutingReason {
  /** To the customer's dedicated hero, available (R2). */
  HERO = 'HERO',
  /** Voice, hero unavailable: an agent of the default voice inbox (R5). */
  HERO_UNAVAILABLE_VOICE_INBOX = 'HERO_UNAVAILABLE_VOICE_INBOX',
  /** Messaging, hero unavailable: the next agent of the hero's inbox (R5). */
  HERO_UNAVAILABLE_HERO_INBOX = 'HERO_UNAVAILABLE_HERO_INBOX',
  /** Email or voicemail: the hero, available or not (R5). */
  HERO_REGARDLESS = 'HERO_REGARDLESS',
  /** The hero is an inbox: its next available agent (R6). */
  HERO_INBOX = 'HERO_INBOX',
  /** No hero: the next available agent of the conversation's inbox (R8). */
  NEXT_AVAILABLE = 'NEXT_AVAILABLE',
  /** Nobody could take it: it waits in its inbox's queue (R9). */
  QUEUE = 'QUEUE',
  /** Routed from the queue when an agent became available or freed capacity (R9). */
  FROM_QUEUE = 'FROM_QUEUE',
  /** A new hero replaced the old one: the old hero's open conversations moved (R3). */
  HERO_CHANGED = 'HERO_CHANGED',
  /** reassignToHero. */
  REASSIGNED_TO_HERO = 'REASSIGNED_TO_HERO',
  /** The assignee was deactivated: reassigned within the inbox, or queued (R7). */
  ASSIGNEE_DEACTIVATED = 'ASSIGNEE_DEACTIVATED',
  /** A staff member started it outgoing: theirs. */
  OUTGOING = 'OUTGOING',
  /** assignConversation. */
  MANUAL = 'MANUAL',
  /** A member took it from its campaign's queue (takeInteraction, C4). */
  TAKEN = 'TAKEN',
  /** It came in while its campaign was disabled: kept on the customer's contact, not queued. */
  CAMPAIGN_DISABLED = 'CAMPAIGN_DISABLED',
  /** It left its campaign's queue unanswered: past the abandon timeout, or the customer left. */
  ABANDONED = 'ABANDONED',
  /** It went back to the front of its campaign's queue (its waitingSince kept). */
  REQUEUED = 'REQUEUED',
}

/** A campaign interaction's state in the recordings (C15); the rule is `tandem_interaction_state`. */
export enum InteractionState {
  WAITING = 'WAITING',
  ACTIVE = 'ACTIVE',
  ABANDONED = 'ABANDONED',
  CLOSED = 'CLOSED',
}

registerEnumType(Role, {
  name: 'Role',
  description: 'What a staff member or API key may do (DESIGN §2).',
});
registerEnumType(StaffStatus, {
  name: 'StaffStatus',
  description: 'Availability, set by the staff member.',
});
registerEnumType(Channel, {
  name: 'Channel',
  description: 'SMS, WHATSAPP and CHAT are the messaging channels.',
});
registerEnumType(ContactKind, { name: 'ContactKind' });
registerEnumType(ConversationStatus, { name: 'ConversationStatus' });
registerEnumType(Direction, {
  name: 'Direction',
  description: 'Who started it: the customer (INCOMING) or the organization (OUTGOING).',
});
registerEnumType(DeliveryState, { name: 'DeliveryState' });
registerEnumType(AuthorKind, {
  name: 'AuthorKind',
  description: 'Who wrote a message or caused an event.',
});
registerEnumType(RoutingReason, {
  name: 'RoutingReason',
  description: 'Why a conversation went where it went (R10).',
});
registerEnumType(InteractionState, {
  name: 'InteractionState',
  description:
    "A campaign interaction's state: WAITING in its queue (never taken, or requeued), ACTIVE " +
    'with an agent, ABANDONED before anyone took it, CLOSED (finished; archived ones too).',
});
