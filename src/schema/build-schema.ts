import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import type { Context } from '../context/context';
import {
  AssistResolver,
  AssistSessionResolver,
  StaffAssistResolver,
} from '../resolvers/assist/assist.resolver';
import {
  AssistReportLineResolver,
  AssistReportResolver,
  AssistTimesheetResolver,
} from '../resolvers/assist/assist-report.resolver';
import { AssistedCustomerResolver } from '../resolvers/assist/assisted-customer.resolver';
import {
  CustomerRequestsResolver,
  ServiceRequestFieldsResolver,
  ServiceRequestResolver,
} from '../resolvers/assist/service-request.resolver';
import { AuditResolver } from '../resolvers/audit/audit.resolver';
import { AuthResolver } from '../resolvers/auth/auth.resolver';
import { CampaignResolver } from '../resolvers/campaign/campaign.resolver';
import { OutgoingResolver } from '../resolvers/campaign/outgoing.resolver';
import { QueueResolver } from '../resolvers/campaign/queue.resolver';
import {
  ContactHistoryResolver,
  ConversationInteractionResolver,
  InteractionRecordsResolver,
} from '../resolvers/campaign/interaction-records.resolver';
import { ProviderResolver } from '../resolvers/provider/provider.resolver';
import { OrganizationResolver } from '../resolvers/organization/organization.resolver';
import { SessionResolver } from '../resolvers/auth/session.resolver';
import { LockResolver } from '../resolvers/lock/lock.resolver';
import { ActorResolver } from '../resolvers/common/actor.type';
import { ConversationResolver } from '../resolvers/conversation/conversation.resolver';
import { MessageResolver } from '../resolvers/conversation/message.resolver';
import { ContactResolver, CustomerResolver } from '../resolvers/customer/customer.resolver';
import {
  ConversationHelpersResolver,
  CustomerHelpersResolver,
  HelperAssignmentResolver,
  HelperResolver,
  NotificationEventResolver,
  StaffHelpingResolver,
} from '../resolvers/helper/helper.resolver';
import { InboxResolver } from '../resolvers/inbox/inbox.resolver';
import {
  ConversationRoutingResolver,
  CustomerHeroResolver,
  DedicatedHeroResolver,
  RoutingDecisionResolver,
  RoutingResolver,
} from '../resolvers/routing/routing.resolver';
import { StaffResolver } from '../resolvers/staff/staff.resolver';
import {
  AgentActivityResolver,
  AgentWindowResolver,
} from '../resolvers/supervision/agent-activity.resolver';
import { AgentChatResolver } from '../resolvers/supervision/agent-chat.resolver';
import { CampaignMonitorResolver } from '../resolvers/supervision/campaign-monitor.resolver';
import { SupervisionResolver } from '../resolvers/supervision/supervision.resolver';
import { authChecker } from './auth';
import { callFieldResolversDirectly } from './direct-resolvers';
import { dropPlainFieldResolvers } from './plain-fields';
import { validateArguments } from './validate-arguments';

export const RESOLVERS = [
  ProviderResolver,
  CampaignResolver,
  QueueResolver,
  OutgoingResolver,
  InteractionRecordsResolver,
  ConversationInteractionResolver,
  ContactHistoryResolver,
  AuthResolver,
  SessionResolver,
  StaffResolver,
  InboxResolver,
  CustomerResolver,
  ContactResolver,
  ConversationResolver,
  MessageResolver,
  LockResolver,
  HelperResolver,
  HelperAssignmentResolver,
  CustomerHelpersResolver,
  ConversationHelpersResolver,
  StaffHelpingResolver,
  NotificationEventResolver,
  RoutingResolver,
  CustomerHeroResolver,
  DedicatedHeroResolver,
  ConversationRoutingResolver,
  RoutingDecisionResolver,
  ActorResolver,
  OrganizationResolver,
  AuditResolver,
  AssistResolver,
  AssistSessionResolver,
  StaffAssistResolver,
  AssistedCustomerResolver,
  ServiceRequestResolver,
  ServiceRequestFieldsResolver,
  CustomerRequestsResolver,
  AssistReportResolver,
  AssistReportLineResolver,
  AssistTimesheetResolver,
  SupervisionResolver,
  AgentChatResolver,
  AgentActivityResolver,
  AgentWindowResolver,
  CampaignMonitorResolver,
] as const;

let schema: Promise<GraphQLSchema> | undefined;

/**
 * The schema depends only on the resolver classes, so a process builds it once; each server
 * instance reaches its own resolver instances through the context's container.
 */
export function getSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers: RESOLVERS,
    // graphql-scalars' DateTime: RFC 3339 in, toISOString out (milliseconds, Z) for Dates and for
    // the ISO strings of events that crossed Redis.
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    authChecker,
    validateFn: validateArguments,
    container: ({ context }) => (context as Context).container,
    // Every subscription brings its own `subscribe` (access check, replay, then the event hub),
    // so type-graphql's topic-based PubSub is never used; it still insists on one.
    pubSub: {
      publish: () => {
        throw new Error('publish through the unit of work');
      },
      subscribe: () => {
        throw new Error('subscriptions use their own subscribe function');
      },
    },
  }).then((built) => {
    dropPlainFieldResolvers(built);
    callFieldResolversDirectly(built, RESOLVERS);
    return built;
  });
  return schema;
}
