/**
 * Stream and topic names. Every stream is scoped by organization and by the record its
 * subscribers watch, so that an event reaches only the sockets that asked for it.
 */

/** The kinds of record a stream is scoped by. */
export type StreamRecord = 'inbox' | 'customer' | 'staff' | 'campaign';

/**
 * `org:{organization}:{record kind}:{record id}:{topic}`: every stream's name. The SQL that logs
 * events builds the same names with `tandem_stream` (src/subscriptions/streams.sql); a test
 * compares the two.
 */
export function streamName(
  organizationId: string,
  record: StreamRecord,
  recordId: string,
  topic: string,
): string {
  return `org:${organizationId}:${record}:${recordId}:${topic}`;
}

export const Streams = {
  /** Conversation events of one inbox (`conversationEvents(inboxId)`). */
  inboxConversations: (organizationId: string, inboxId: string) =>
    streamName(organizationId, 'inbox', inboxId, 'conversations'),
  /** Ticket lock events of one inbox (`ticketLockEvents(inboxId)`). */
  inboxLocks: (organizationId: string, inboxId: string) =>
    streamName(organizationId, 'inbox', inboxId, 'locks'),
  /** Queue events of one campaign (`queueEvents(campaignIds)`, C5). */
  campaignQueue: (organizationId: string, campaignId: string) =>
    streamName(organizationId, 'campaign', campaignId, 'queue'),
  /** Helper changes of one customer (`helperChanges(customerId)`, H10). */
  customerHelpers: (organizationId: string, customerId: string) =>
    streamName(organizationId, 'customer', customerId, 'helpers'),
  /** Changes to whom one staff member helps (`helperChanges` without a customer). */
  staffHelping: (organizationId: string, staffId: string) =>
    streamName(organizationId, 'staff', staffId, 'helping'),
  /** Conversations given to or taken from one staff member (`myAssignments`). */
  staffAssignments: (organizationId: string, staffId: string) =>
    streamName(organizationId, 'staff', staffId, 'assignments'),
  /** One staff member's assist session, for every window of theirs (`activeAssistChanges`, A7). */
  staffAssist: (organizationId: string, staffId: string) =>
    streamName(organizationId, 'staff', staffId, 'assist'),
  /** What a helper is told about the customers they help (`notifications`, H9). */
  staffNotifications: (organizationId: string, staffId: string) =>
    streamName(organizationId, 'staff', staffId, 'notifications'),
  /**
   * Every message of the conversations assigned to one agent, both directions, as stored: what
   * a supervisor spying on the agent receives (`spy(agentId)`, C10).
   */
  staffMessages: (organizationId: string, staffId: string) =>
    streamName(organizationId, 'staff', staffId, 'messages'),
  /** One person's chat with supervisors or agents, for every window of theirs (`agentChat`, C13). */
  staffChat: (organizationId: string, staffId: string) =>
    streamName(organizationId, 'staff', staffId, 'chat'),
  /** What supervisors did to one agent: paused, resumed, disconnected (supervision, C12/C14). */
  staffSupervision: (organizationId: string, staffId: string) =>
    streamName(organizationId, 'staff', staffId, 'supervision'),
} as const;

/** Instance-to-instance messages that are not streams (no sequence, not logged). */
export const Topics = {
  /** Sign-in or window sessions revoked: the instance holding their sockets closes them. */
  sessionsRevoked: 'tandem:sessions-revoked',
  /** What these staff members may watch changed: their streams check their access again. */
  accessChanged: 'tandem:access-changed',
  /**
   * Something a campaign's live monitor shows changed outside the campaign's streams: a member's
   * status or pause, the members, the campaign's settings, the organization's day (C9).
   */
  campaignMonitor: 'tandem:campaign-monitor',
} as const;

export interface CampaignMonitorMessage {
  organizationId: string;
  /** Staff members whose status or pause changed: the campaigns they are a member of. */
  staffIds?: string[];
  campaignIds?: string[];
  /** Every campaign of the organization (its time zone or day reset time changed). */
  all?: boolean;
}

export interface AccessChangedMessage {
  staffIds: string[];
}

export interface SessionsRevokedMessage {
  /** Sign-in sessions (their windows go with them) or window sessions. */
  sessionIds: string[];
  reason: string;
  /** The WebSocket close code; 4401 (sign in again) when absent. */
  closeCode?: number;
}
