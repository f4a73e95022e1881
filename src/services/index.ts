import { AccessPolicy } from '../authz/access-policy';
import type { Config } from '../config';
import type { UnitOfWork } from '../db/unit-of-work';
import type { EventHub } from '../subscriptions/event-hub';
import type { Logger } from '../logger';
import { AssistReportService } from './assist/assist-report.service';
import { AssistService } from './assist/assist.service';
import { AssistedCustomerService } from './assist/assisted-customer.service';
import { CustomerSearchService } from './assist/customer-search.service';
import { ServiceRequestService } from './assist/service-request.service';
import { ApiKeyService } from './auth/api-key.service';
import { AuditService } from './audit/audit.service';
import { AuthService } from './auth/auth.service';
import { CampaignService } from './campaign/campaign.service';
import { InboundService } from './campaign/inbound.service';
import { InteractionRecordsService } from './campaign/interaction-records.service';
import { RecordsStore } from './campaign/recordings.store';
import { QueueService } from './campaign/queue.service';
import { QueueEventsService } from './campaign/queue-events.service';
import { OutgoingService } from './campaign/outgoing.service';
import { ProviderService } from './provider/provider.service';
import { DeliveryStore } from './provider/delivery.store';
import { OutboxService } from './provider/outbox.service';
import { ProviderWebhookService } from './provider/provider-webhook.service';
import { ConversationEventsService } from './conversation/conversation-events.service';
import { ConversationService } from './conversation/conversation.service';
import { MessageService } from './conversation/message.service';
import { CustomerService } from './customer/customer.service';
import { HelperService } from './helper/helper.service';
import { Assignments } from './routing/assignments';
import { HeroService } from './routing/hero.service';
import { RoutingService } from './routing/routing.service';
import { RoutingStore } from './routing/routing.store';
import { InboxService } from './inbox/inbox.service';
import { LockService } from './lock/lock.service';
import { LockStore } from './lock/lock.store';
import { OrganizationService } from './organization/organization.service';
import { ClientSessionService } from './session/client-session.service';
import { SessionStore } from './session/session.store';
import { StreamAccessService } from './session/stream-access.service';
import { AgentActivityService } from './supervision/agent-activity.service';
import { CampaignMonitorService } from './supervision/campaign-monitor.service';
import { MonitorStore } from './supervision/monitor.store';
import { AgentChatService } from './supervision/agent-chat.service';
import { SpyService } from './supervision/spy.service';
import { SupervisionService } from './supervision/supervision.service';
import { StaffService } from './staff/staff.service';

export interface ServiceDeps {
  uow: UnitOfWork;
  config: Config;
  hub: EventHub;
  logger: Logger;
}

/** The domain layer of one server instance, wired once at start-up. */
export function createServices({ uow, config, hub, logger }: ServiceDeps) {
  const access = new AccessPolicy();
  const audit = new AuditService(uow);
  const streamAccess = new StreamAccessService(uow, hub);
  const locks = new LockService(
    uow,
    new LockStore(uow.dataSource),
    access,
    hub,
    config,
    logger,
    streamAccess,
  );
  const assist = new AssistService(uow, access, hub, audit, config);
  const auth = new AuthService(uow, config, locks, assist);
  const helpers = new HelperService(uow, access, hub, streamAccess);
  const assignments = new Assignments(locks);
  const routing = new RoutingService(
    uow,
    new RoutingStore(uow.dataSource),
    access,
    assignments,
    config,
    logger,
    hub,
  );
  const providers = new ProviderService(uow, config);
  const deliveries = new DeliveryStore();
  const outbox = new OutboxService(
    uow,
    providers,
    deliveries,
    {
      sendIntervalMs: Math.max(1, Math.round(1000 / config.outboxSendsPerSecond)),
      retryBaseMs: config.outboxRetryBaseMs,
      retryMaxMs: config.outboxRetryMaxMs,
      maxAttempts: config.outboxMaxAttempts,
    },
    logger,
  );
  const messages = new MessageService(uow, access, helpers, outbox);
  const customers = new CustomerService(uow, access, config);
  // C3: what a verified webhook's job hands over becomes a message of an interaction.
  const inbound = new InboundService(uow, customers, config);
  const campaigns = new CampaignService(uow);
  const queue = new QueueService(uow, campaigns, assignments);
  return {
    access,
    audit,
    auth,
    streamAccess,
    apiKeys: new ApiKeyService(uow, audit),
    clientSessions: new ClientSessionService(
      uow,
      locks,
      routing,
      new SessionStore(uow.dataSource),
      config.lockTtlSeconds,
      auth,
      streamAccess,
    ),
    locks,
    organizations: new OrganizationService(uow, audit),
    staff: new StaffService(uow, access, auth, audit, helpers, routing, assist, streamAccess),
    helpers,
    inboxes: new InboxService(uow, access, routing, streamAccess),
    customers,
    messages,
    conversations: new ConversationService(
      uow,
      access,
      messages,
      helpers,
      routing,
      assignments,
      locks,
    ),
    routing,
    heroes: new HeroService(uow, access, routing, assignments),
    conversationEvents: new ConversationEventsService(uow, access, hub, streamAccess),
    assist,
    serviceRequests: new ServiceRequestService(uow, access, assist, audit),
    assistedCustomers: new AssistedCustomerService(uow, access, customers, assist, audit),
    customerSearch: new CustomerSearchService(uow, config),
    assistReports: new AssistReportService(uow, access),
    providers,
    outbox,
    providerWebhooks: new ProviderWebhookService(
      uow,
      providers,
      outbox,
      deliveries,
      inbound,
      logger,
    ),
    queue,
    queueEvents: new QueueEventsService(uow, campaigns, hub, streamAccess),
    outgoing: new OutgoingService(uow, campaigns, inbound, assignments, messages, outbox),
    supervision: new SupervisionService(uow, access, audit, auth, assist, routing, queue),
    campaigns,
    spy: new SpyService(uow, access, hub, audit, streamAccess, logger),
    agentChat: new AgentChatService(uow, access, hub, audit),
    inbound,
    interactionRecords: new InteractionRecordsService(
      new RecordsStore(uow.dataSource),
      config.defaultPhoneCountry,
    ),
    agentActivity: new AgentActivityService(uow, access, hub, streamAccess, config, logger),
    campaignMonitor: new CampaignMonitorService(
      uow,
      campaigns,
      new MonitorStore(),
      hub,
      streamAccess,
      logger,
    ),
  };
}

export type Services = ReturnType<typeof createServices>;
