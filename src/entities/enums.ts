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

export const MESSAGING_CHANNELS: readonly Channel[] = [Channel.CHAT, Channel.SMS, Channel.WHATSAPP];

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
