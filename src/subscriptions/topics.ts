/**
 * Stream and topic names. Every stream is scoped by organization and by the record its
 * subscribers watch, so that an event reaches only the sockets that asked for it.
 */
export const Streams = {
  /** Conversation events of one inbox (`conversationEvents(inboxId)`). */
  inboxConversations: (organizationId: string, inboxId: string) =>
    `org:${organizationId}:inbox:${inboxId}:conversations`,
  /** Ticket lock events of one inbox (`ticketLockEvents(inboxId)`); SQL's tandem_lock_stream. */
  inboxLocks: (organizationId: string, inboxId: string) =>
    `org:${organizationId}:inbox:${inboxId}:locks`,
  /** Helper changes of one customer (`helperChanges(customerId)`, H10). */
  customerHelpers: (organizationId: string, customerId: string) =>
    `org:${organizationId}:customer:${customerId}:helpers`,
  /** Changes to whom one staff member helps (`helperChanges` without a customer). */
  staffHelping: (organizationId: string, staffId: string) =>
    `org:${organizationId}:staff:${staffId}:helping`,
  /** Conversations given to or taken from one staff member (`myAssignments`). */
  staffAssignments: (organizationId: string, staffId: string) =>
    `org:${organizationId}:staff:${staffId}:assignments`,
  /** What a helper is told about the customers they help (`notifications`, H9). */
  staffNotifications: (organizationId: string, staffId: string) =>
    `org:${organizationId}:staff:${staffId}:notifications`,
} as const;

/** Instance-to-instance messages that are not streams (no sequence, not logged). */
export const Topics = {
  /** Sign-in or window sessions revoked: the instance holding their sockets closes them. */
  sessionsRevoked: 'tandem:sessions-revoked',
} as const;

export interface SessionsRevokedMessage {
  /** Sign-in sessions (their windows go with them) or window sessions. */
  sessionIds: string[];
  reason: string;
}
