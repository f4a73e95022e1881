import type { Auth } from '../context/auth';
import { Role } from '../entities/enums';

const { ADMIN, SUPERVISOR, DISPATCHER, AGENT, INTEGRATION } = Role;
const STAFF = [ADMIN, SUPERVISOR, DISPATCHER, AGENT];

/** What each role may do (DESIGN §2). A new operation names one of these at its resolver. */
export enum Permission {
  ManageOrganization = 'organization:manage',
  ManageApiKeys = 'api-keys:manage',
  ManageStaff = 'staff:manage',
  ReadStaff = 'staff:read',
  ManageInboxes = 'inboxes:manage',
  ReadInboxes = 'inboxes:read',
  ReadCustomers = 'customers:read',
  WriteCustomers = 'customers:write',
  ReadConversations = 'conversations:read',
  /** Start conversations and record what customers write (integrations, and staff on their behalf). */
  RecordCustomerMessages = 'conversations:record-customer',
  WorkConversations = 'conversations:work',
  AssignConversationsToAnyone = 'conversations:assign-any',
  DeleteConversations = 'conversations:delete',
  /** Helpers: add or end one's own assignment (H2). */
  HelpCustomers = 'helpers:own',
  /** Helpers: add or end anyone's assignment (H2). */
  AssignHelpersToAnyone = 'helpers:assign-any',
  /** Heroes: make anyone (or any inbox) a customer's dedicated hero; agents only themselves. */
  AssignHeroesToAnyone = 'heroes:assign-any',
  /** Sign-in sessions of staff: sign out, my status. */
  OwnSession = 'session:own',
  /** Assisted service: start and end one's own assist sessions, one's own timesheet (A3, A5). */
  AssistCustomers = 'assist:sessions',
  /**
   * Act for a customer (A4): staff in an assist session for them (A9), and API keys, which are
   * the customer's own channel (their website).
   */
  ActForCustomers = 'customers:act-for',
  ReadServiceRequests = 'service-requests:read',
  /** Assist reports and everyone's timesheets (A6). */
  ReadAssistReports = 'assist:reports',
  ReadAuditEvents = 'audit:read',
  /** Supervision (C10–C14): spy, pause, disconnect, agent info and activity. */
  SuperviseAgents = 'supervision:agents',
  /** The provider registry (C1): credentials are write-only even here. */
  ManageProviders = 'providers:manage',
  ManageCampaigns = 'campaigns:manage',
  /** Agents read only the campaigns they are members of (the service decides). */
  ReadCampaigns = 'campaigns:read',
  /** Chat with agent (C13): supervisors and agents write to each other. */
  ChatWithAgents = 'supervision:chat',
  /** A bot that saw the customer leave ends a waiting interaction (abandonInteraction, C5). */
  AbandonInteractions = 'campaigns:abandon',
  /** Recordings (C15): search interactions; agents and dispatchers find those they attended. */
  ReadInteractionRecords = 'recordings:read',
  /** Recordings of every agent (C15). */
  ReadAllInteractionRecords = 'recordings:read-all',
}

const GRANTS: Record<Permission, readonly Role[]> = {
  [Permission.ManageOrganization]: [ADMIN],
  [Permission.ManageApiKeys]: [ADMIN],
  [Permission.ManageStaff]: [ADMIN],
  [Permission.ReadStaff]: [...STAFF, INTEGRATION],
  [Permission.ManageInboxes]: [ADMIN],
  [Permission.ReadInboxes]: [...STAFF, INTEGRATION],
  [Permission.ReadCustomers]: [...STAFF, INTEGRATION],
  [Permission.WriteCustomers]: [...STAFF, INTEGRATION],
  [Permission.ReadConversations]: [...STAFF, INTEGRATION],
  [Permission.RecordCustomerMessages]: [...STAFF, INTEGRATION],
  [Permission.WorkConversations]: STAFF,
  [Permission.AssignConversationsToAnyone]: [ADMIN, SUPERVISOR, DISPATCHER],
  [Permission.DeleteConversations]: [ADMIN, SUPERVISOR],
  [Permission.HelpCustomers]: STAFF,
  [Permission.AssignHelpersToAnyone]: [ADMIN, SUPERVISOR, DISPATCHER],
  [Permission.AssignHeroesToAnyone]: [ADMIN, SUPERVISOR, DISPATCHER],
  [Permission.OwnSession]: STAFF,
  [Permission.AssistCustomers]: STAFF,
  [Permission.ActForCustomers]: [...STAFF, INTEGRATION],
  [Permission.ReadServiceRequests]: [...STAFF, INTEGRATION],
  [Permission.ReadAssistReports]: [ADMIN, SUPERVISOR],
  [Permission.ReadAuditEvents]: [ADMIN],
  [Permission.SuperviseAgents]: [ADMIN, SUPERVISOR],
  [Permission.ManageProviders]: [ADMIN],
  [Permission.ManageCampaigns]: [ADMIN],
  [Permission.ReadCampaigns]: [...STAFF, INTEGRATION],
  [Permission.ChatWithAgents]: STAFF,
  [Permission.AbandonInteractions]: [INTEGRATION],
  [Permission.ReadInteractionRecords]: STAFF,
  [Permission.ReadAllInteractionRecords]: [ADMIN, SUPERVISOR],
};

export function can(auth: Auth, permission: Permission): boolean {
  return GRANTS[permission].includes(auth.role);
}

/** Roles that see every inbox of the organization; agents see the inboxes they belong to. */
export function seesAllInboxes(auth: Auth): boolean {
  return auth.role !== AGENT;
}
