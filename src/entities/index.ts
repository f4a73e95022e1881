import { AgentChatMessage } from './agent-chat-message.entity';
import { ApiKey } from './api-key.entity';
import { AssistSession } from './assist-session.entity';
import { AuditEvent } from './audit-event.entity';
import { Campaign } from './campaign.entity';
import { CampaignDayStat } from './campaign-day-stat.entity';
import { CampaignMember } from './campaign-member.entity';
import { CannedResponse } from './canned-response.entity';
import { ClientSession } from './client-session.entity';
import { Contact } from './contact.entity';
import { Conversation } from './conversation.entity';
import { Customer } from './customer.entity';
import { DedicatedHero } from './dedicated-hero.entity';
import { EventLog, StreamSeq } from './event-log.entity';
import { HelperAssignment } from './helper-assignment.entity';
import { Inbox } from './inbox.entity';
import { InboxMember } from './inbox-member.entity';
import { Message } from './message.entity';
import { Organization } from './organization.entity';
import { Provider } from './provider.entity';
import { RoutingDecision } from './routing-decision.entity';
import { ServiceRequest } from './service-request.entity';
import { SignInBudget } from './sign-in-budget.entity';
import { SignInThrottle } from './sign-in-throttle.entity';
import { ProviderWebhook } from './provider-webhook.entity';
import { Staff } from './staff.entity';
import { TicketLock } from './ticket-lock.entity';
import { WindowOpenTicket } from './window-open-ticket.entity';

export const ENTITIES = [
  AgentChatMessage,
  Organization,
  Staff,
  ClientSession,
  ApiKey,
  Inbox,
  InboxMember,
  Customer,
  Contact,
  Conversation,
  Message,
  EventLog,
  StreamSeq,
  SignInThrottle,
  SignInBudget,
  AuditEvent,
  TicketLock,
  WindowOpenTicket,
  HelperAssignment,
  DedicatedHero,
  RoutingDecision,
  AssistSession,
  ServiceRequest,
  Provider,
  Campaign,
  CampaignMember,
  CampaignDayStat,
  CannedResponse,
  ProviderWebhook,
];
