import { AccessGeneration1796310000000 } from './1796310000000-access-generation';
import { AgentChat1796310000001 } from './1796310000001-agent-chat';
import { AssistedService1796200000000 } from './1796200000000-assisted-service';
import { Baseline1795600000000 } from './1795600000000-baseline';
import { CampaignMonitor1796420000000 } from './1796420000000-campaign-monitor';
import { SubjectStatistics1796436160004 } from './1796436160004-subject-statistics';
import { Campaigns1796300000000 } from './1796300000000-campaigns';
import { InboundMessages1796300000001 } from './1796300000001-inbound-messages';
import { ProviderWebhooksOutbox1796340000000 } from './1796340000000-provider-webhooks-outbox';
import { CampaignRequeue1796300000002 } from './1796300000002-campaign-requeue';
import { SignInPerAddress1796191000196 } from './1796191000196-sign-in-per-address';
import { StaffEmailPerOrganization1796197374462 } from './1796197374462-staff-email-per-organization';
import { WindowOpenTicket1796320000000 } from './1796320000000-window-open-ticket';
import { InteractionRecords1796410000000 } from './1796410000000-interaction-records';
import { WindowOpenTicketTable1796436160005 } from './1796436160005-window-open-ticket-table';

/**
 * Every migration, in order. Listed by hand so that no glob decides what runs in production.
 * Migrations hold DDL only and are never edited once landed; SQL functions, triggers and views
 * are repeatable definitions (`src/db/sql-definitions.ts`).
 */
export const MIGRATIONS: Function[] = [
  Baseline1795600000000,
  SignInPerAddress1796191000196,
  StaffEmailPerOrganization1796197374462,
  AssistedService1796200000000,
  Campaigns1796300000000,
  InboundMessages1796300000001,
  CampaignRequeue1796300000002,
  AccessGeneration1796310000000,
  AgentChat1796310000001,
  WindowOpenTicket1796320000000,
  ProviderWebhooksOutbox1796340000000,
  InteractionRecords1796410000000,
  CampaignMonitor1796420000000,
  SubjectStatistics1796436160004,
  WindowOpenTicketTable1796436160005,
];
