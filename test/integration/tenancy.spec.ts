import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { ExecutionResult } from 'graphql';
import { AssistOutcome } from '../../src/entities/assist-session.entity';
import { Channel, ContactKind, Role } from '../../src/entities/enums';
import type { Contact } from '../../src/entities/contact.entity';
import type { Conversation } from '../../src/entities/conversation.entity';
import type { Customer } from '../../src/entities/customer.entity';
import type { Inbox } from '../../src/entities/inbox.entity';
import { getSchema } from '../../src/schema/build-schema';
import {
  AddContactDocument,
  AgentActivityDocument,
  AgentActivityUpdatesDocument,
  AgentInfoDocument,
  DisconnectAgentDocument,
  MarkAgentChatReadDocument,
  PauseAgentDocument,
  ResumeAgentDocument,
  SendAgentChatDocument,
  SpyDocument,
  ApiKeysDocument,
  ArchiveConversationDocument,
  AssignConversationDocument,
  CloseConversationDocument,
  ConversationDocument,
  ConversationEventsDocument,
  ConversationsDocument,
  CreateStaffDocument,
  CustomerDocument,
  CustomersDocument,
  DeactivateStaffDocument,
  DeleteConversationDocument,
  InboxDocument,
  PostCustomerMessageDocument,
  RevokeApiKeyDocument,
  SendMessageDocument,
  SetInboxMembersDocument,
  StaffMemberDocument,
  StartConversationDocument,
  TenancyCustomerWithRelationsDocument,
  TenancyEverythingVisibleDocument,
  TenancyStaffWithInboxDocument,
  UpdateCustomerDocument,
  UpdateInboxDocument,
  UpdateStaffDocument,
  EnterInboxDocument,
  ForceReleaseTicketDocument,
  OpenTicketDocument,
  ReleaseTicketDocument,
  TicketLockEventsDocument,
  TicketLocksDocument,
  AddHelperDocument,
  EndHelperDocument,
  HelperChangesDocument,
  ClearDedicatedHeroDocument,
  ReassignToHeroDocument,
  SetDedicatedHeroDocument,
  SignInDocument,
  AssistTimesheetDocument,
  AuditEventsDocument,
  SaveFormDocument,
  SearchCustomersDocument,
  ServiceRequestsDocument,
  StartAssistingDocument,
  StartWorkflowDocument,
  SubmitFormDocument,
  SubmitRequestDocument,
  UpdateCustomerProfileDocument,
  CampaignByIdDocument,
  CreateCampaignDocument,
  DeleteProviderDocument,
  ProviderByIdDocument,
  SetCampaignMembersDocument,
  UpdateCampaignDocument,
  UpdateProviderDocument,
  AbandonInteractionDocument,
  CampaignMonitorDocument,
  CampaignMonitorUpdatesDocument,
  CampaignQueueDocument,
  QueueEventsDocument,
  RetryMessageDocument,
  StartOutgoingInteractionDocument,
  TakeInteractionDocument,
  InteractionRecordsDocument,
} from '../generated/graphql';
import { newCampaign } from '../support/campaigns';
import { GraphQLClient, type GraphQLErrorShape, type GraphQLResponse } from '../support/client';
import {
  newAgent,
  newCustomer,
  newInbox,
  newOrg,
  PASSWORD,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { connect, subscribe } from '../support/ws';
import { fingerprintDatabase, idArgumentsOf } from './refusals';

/** One organization with a row of every kind, all linked together. */
interface Tenant {
  org: Org;
  agent: Member;
  /** An inbox besides General. */
  inbox: Inbox;
  customer: Customer;
  contact: Contact;
  /** In General, assigned to `agent`, with a message. */
  conversation: Conversation;
  /** The message of `conversation`. */
  messageId: string;
  apiKeyId: string;
  /** An INTEGRATION key of the organization. */
  integration: Caller;
  /** A draft form of `customer`, saved through the integration (the customer's own). */
  formId: string;
  /** `agent` assisted `customer`, and submitted a request for them in it. */
  assistSessionId: string;
  /** A campaign on its own provider, `agent` a member, with one canned response. */
  campaignId: string;
  providerId: string;
  cannedResponseId: string;
}

interface Caller {
  api: GraphQLClient;
  token: string;
}

async function newTenant(server: TestServer): Promise<Tenant> {
  const org = await newOrg(server);
  const { services } = server;
  const agent = await newAgent(org);
  const inbox = await newInbox(org);
  const customer = await newCustomer(org, { email: `c-${randomUUID()}@example.com` });
  // The same number in both organizations: contacts are unique per organization only.
  const contact = await services.customers.addContact(
    org.admin.auth,
    customer.id,
    ContactKind.PHONE,
    '+14155550100',
  );
  const started = await services.conversations.start(org.admin.auth, {
    customerId: customer.id,
    contactId: contact.id,
    channel: Channel.CHAT,
    inboxId: org.inbox.id,
    body: 'Hello from the customer',
  });
  const conversation = await services.conversations.assign(
    org.admin.auth,
    started.id,
    agent.staff.id,
  );
  const [{ id: messageId }] = (await server.dataSource.query(
    'SELECT id FROM message WHERE conversation_id = $1',
    [conversation.id],
  )) as Array<{ id: string }>;
  const { apiKey, key } = await services.apiKeys.create(
    org.admin.auth,
    'Partner',
    Role.INTEGRATION,
  );
  const session = await services.assist.start(agent.auth, {
    customerId: customer.id,
    channel: Channel.VOICE,
    service: 'Council tax',
  });
  await services.serviceRequests.submitRequest(agent.auth, {
    customerId: customer.id,
    service: 'Council tax',
    data: { band: 'C' },
  });
  await services.assist.end(agent.auth, AssistOutcome.RESOLVED);
  const integrationAuth = await services.auth.authenticate(key);
  const form = await services.serviceRequests.saveForm(integrationAuth!, {
    customerId: customer.id,
    service: 'Parking permit',
    data: { plate: 'AB12' },
  });
  const campaign = await newCampaign(org, {
    members: [agent],
    cannedResponses: [{ title: 'Hi', body: 'Hello!' }],
  });
  const [{ id: cannedResponseId }] = (await server.dataSource.query(
    'SELECT id FROM canned_response WHERE campaign_id = $1',
    [campaign.id],
  )) as Array<{ id: string }>;
  return {
    campaignId: campaign.id,
    providerId: campaign.providerId as string,
    cannedResponseId: cannedResponseId as string,
    org,
    agent,
    inbox,
    customer,
    contact,
    conversation,
    messageId: messageId as string,
    apiKeyId: apiKey.id,
    integration: { api: new GraphQLClient(server.url, key), token: key },
    formId: form.id,
    assistSessionId: session.id,
  };
}

/** What a caller got: an error (code and message), or the number of items of a list. */
interface Outcome {
  code?: string;
  message?: string;
  /** The id a NOT_FOUND names. */
  id?: unknown;
  items?: number;
}

function errorOutcome(error: GraphQLErrorShape): Outcome {
  return { code: error.extensions?.code, message: error.message, id: error.extensions?.id };
}

function outcomeOf(response: GraphQLResponse<unknown> | ExecutionResult<unknown>): Outcome {
  const error = response.errors?.[0] as GraphQLErrorShape | undefined;
  if (error) return errorOutcome(error);
  return { items: -1 };
}

function listOutcome(response: GraphQLResponse<{ conversations: { totalCount: number } }>) {
  const error = response.errors?.[0];
  if (error) return errorOutcome(error);
  return { items: response.data?.conversations.totalCount };
}

function totalOutcome(
  response: GraphQLResponse<Record<string, { totalCount: number } | undefined>>,
  list: string,
): Outcome {
  const error = response.errors?.[0];
  if (error) return errorOutcome(error);
  return { items: response.data?.[list]?.totalCount };
}

interface ForeignIdCase {
  /** `"<operation> <argument path>"`, as `idArgumentsOf` names it. */
  argument: string;
  /** NOT_FOUND naming this entity; or EMPTY for a list filter: no rows, no error. */
  expect: { notFound: string } | 'EMPTY';
  /** Whether an INTEGRATION key may call the operation at all (else FORBIDDEN for any id). */
  integrationMay: boolean;
  /** Whether an ADMIN may call it at all (default yes; else FORBIDDEN for any id). */
  adminMay?: boolean;
  /** The id of B's that goes at `argument`. */
  foreignId(): string;
  /** Calls the operation as `caller` with `id` at `argument`, and A's own ids everywhere else. */
  call(caller: Caller, id: string): Promise<Outcome>;
}

describe('tenancy: two organizations on one server', () => {
  let server: TestServer;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    server = await startTestServer();
    [a, b] = await Promise.all([newTenant(server), newTenant(server)]);
  });
  afterAll(() => server.stop());

  /** A subscription's first result (its refusal, or its first event), on a window of its own. */
  async function firstEventOutcome<TData, TVariables>(
    token: string,
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<Outcome> {
    const window = await connect(server.wsUrl, token);
    try {
      return outcomeOf(await subscribe(window, document, variables).next());
    } finally {
      await window.dispose();
    }
  }

  const cases: ForeignIdCase[] = [
    // Queries
    {
      argument: 'conversation id',
      expect: { notFound: 'Conversation' },
      integrationMay: true,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) => outcomeOf(await api.request(ConversationDocument, { id })),
    },
    {
      argument: 'conversations filter.inboxId',
      expect: 'EMPTY',
      integrationMay: true,
      foreignId: () => b.org.inbox.id,
      call: async ({ api }, id) =>
        listOutcome(await api.request(ConversationsDocument, { filter: { inboxId: id } })),
    },
    {
      argument: 'conversations filter.customerId',
      expect: 'EMPTY',
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        listOutcome(await api.request(ConversationsDocument, { filter: { customerId: id } })),
    },
    {
      argument: 'conversations filter.assigneeId',
      expect: 'EMPTY',
      integrationMay: true,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        listOutcome(await api.request(ConversationsDocument, { filter: { assigneeId: id } })),
    },
    {
      argument: 'customer id',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) => outcomeOf(await api.request(CustomerDocument, { id })),
    },
    {
      argument: 'inbox id',
      expect: { notFound: 'Inbox' },
      integrationMay: true,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) => outcomeOf(await api.request(InboxDocument, { id })),
    },
    {
      argument: 'staff id',
      expect: { notFound: 'Staff' },
      integrationMay: true,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) => outcomeOf(await api.request(StaffMemberDocument, { id })),
    },
    // Mutations
    {
      argument: 'revokeApiKey input.apiKeyId',
      expect: { notFound: 'ApiKey' },
      integrationMay: false,
      foreignId: () => b.apiKeyId,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(RevokeApiKeyDocument, { input: { apiKeyId: id } })),
    },
    {
      argument: 'startConversation input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(StartConversationDocument, {
            input: { customerId: id, channel: 'CHAT', body: 'hi' },
          }),
        ),
    },
    {
      argument: 'startConversation input.contactId',
      expect: { notFound: 'Contact' },
      integrationMay: true,
      foreignId: () => b.contact.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(StartConversationDocument, {
            input: { customerId: a.customer.id, contactId: id, channel: 'CHAT', body: 'hi' },
          }),
        ),
    },
    {
      argument: 'startConversation input.inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: true,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(StartConversationDocument, {
            input: { customerId: a.customer.id, inboxId: id, channel: 'CHAT', body: 'hi' },
          }),
        ),
    },
    {
      argument: 'assignConversation input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(AssignConversationDocument, {
            input: { conversationId: id, staffId: a.agent.staff.id },
          }),
        ),
    },
    {
      argument: 'assignConversation input.staffId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(AssignConversationDocument, {
            input: { conversationId: a.conversation.id, staffId: id },
          }),
        ),
    },
    {
      argument: 'closeConversation input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(CloseConversationDocument, { input: { conversationId: id } })),
    },
    {
      argument: 'archiveConversation input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(ArchiveConversationDocument, { input: { conversationId: id } }),
        ),
    },
    {
      argument: 'deleteConversation input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(DeleteConversationDocument, { input: { conversationId: id } })),
    },
    {
      argument: 'postCustomerMessage input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: true,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(PostCustomerMessageDocument, {
            input: { conversationId: id, body: 'injected' },
          }),
        ),
    },
    {
      argument: 'sendMessage input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SendMessageDocument, {
            input: { conversationId: id, body: 'injected' },
          }),
        ),
    },
    {
      argument: 'updateCustomer input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateCustomerDocument, {
            input: { customerId: id, name: 'Taken over' },
          }),
        ),
    },
    {
      argument: 'addContact input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(AddContactDocument, {
            input: { customerId: id, kind: 'EMAIL', value: 'intruder@example.com' },
          }),
        ),
    },
    {
      argument: 'updateInbox input.inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: false,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateInboxDocument, { input: { inboxId: id, name: 'Taken over' } }),
        ),
    },
    {
      argument: 'setInboxMembers input.inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: false,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SetInboxMembersDocument, {
            input: { inboxId: id, staffIds: [a.agent.staff.id] },
          }),
        ),
    },
    {
      argument: 'setInboxMembers input.staffIds',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SetInboxMembersDocument, {
            input: { inboxId: a.inbox.id, staffIds: [a.agent.staff.id, id] },
          }),
        ),
    },
    {
      argument: 'createStaff input.defaultInboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: false,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(CreateStaffDocument, {
            input: {
              name: 'Mole',
              email: `mole-${randomUUID()}@example.com`,
              password: PASSWORD,
              role: 'AGENT',
              defaultInboxId: id,
            },
          }),
        ),
    },
    {
      argument: 'updateStaff input.staffId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateStaffDocument, { input: { staffId: id, role: 'ADMIN' } }),
        ),
    },
    {
      argument: 'updateStaff input.defaultInboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: false,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateStaffDocument, {
            input: { staffId: a.agent.staff.id, defaultInboxId: id },
          }),
        ),
    },
    {
      argument: 'deactivateStaff input.staffId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(DeactivateStaffDocument, { input: { staffId: id } })),
    },
    // Co-working locks (L11) and write guards (L12)
    {
      argument: 'ticketLocks inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: true,
      foreignId: () => b.org.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(TicketLocksDocument, { inboxId: id })),
    },
    ...(
      [
        ['openTicket', OpenTicketDocument],
        ['releaseTicket', ReleaseTicketDocument],
        ['forceReleaseTicket', ForceReleaseTicketDocument],
      ] as const
    ).map(([mutation, document]): ForeignIdCase => ({
      argument: `${mutation} input.conversationId`,
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(document as typeof OpenTicketDocument, {
            input: { conversationId: id },
          }),
        ),
    })),
    {
      argument: 'enterInbox input.inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: false,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(EnterInboxDocument, { input: { inboxId: id } })),
    },
    {
      argument: 'sendMessage input.lastSeenMessageId',
      expect: { notFound: 'Message' },
      integrationMay: false,
      foreignId: () => b.messageId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SendMessageDocument, {
            input: { conversationId: a.conversation.id, body: 'reply', lastSeenMessageId: id },
          }),
        ),
    },
    {
      argument: 'closeConversation input.lastSeenMessageId',
      expect: { notFound: 'Message' },
      integrationMay: false,
      foreignId: () => b.messageId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(CloseConversationDocument, {
            input: { conversationId: a.conversation.id, lastSeenMessageId: id },
          }),
        ),
    },
    {
      argument: 'assignConversation input.lastSeenMessageId',
      expect: { notFound: 'Message' },
      integrationMay: false,
      foreignId: () => b.messageId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(AssignConversationDocument, {
            input: {
              conversationId: a.conversation.id,
              staffId: a.agent.staff.id,
              lastSeenMessageId: id,
            },
          }),
        ),
    },
    {
      argument: 'ticketLockEvents inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: true,
      foreignId: () => b.org.inbox.id,
      call: ({ token }, id) => firstEventOutcome(token, TicketLockEventsDocument, { inboxId: id }),
    },
    // Heroes
    {
      argument: 'setDedicatedHero input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: false,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SetDedicatedHeroDocument, {
            input: { customerId: id, agentId: a.agent.staff.id },
          }),
        ),
    },
    {
      argument: 'setDedicatedHero input.agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SetDedicatedHeroDocument, {
            input: { customerId: a.customer.id, agentId: id },
          }),
        ),
    },
    {
      argument: 'setDedicatedHero input.inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: false,
      foreignId: () => b.inbox.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SetDedicatedHeroDocument, {
            input: { customerId: a.customer.id, inboxId: id },
          }),
        ),
    },
    {
      argument: 'clearDedicatedHero input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: false,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(ClearDedicatedHeroDocument, { input: { customerId: id } })),
    },
    {
      argument: 'reassignToHero input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(ReassignToHeroDocument, { input: { conversationId: id } })),
    },
    // Helpers
    {
      argument: 'addHelper input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: false,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(AddHelperDocument, {
            input: { customerId: id, staffId: a.agent.staff.id },
          }),
        ),
    },
    {
      argument: 'addHelper input.staffId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(AddHelperDocument, {
            input: { customerId: a.customer.id, staffId: id },
          }),
        ),
    },
    {
      argument: 'endHelper input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: false,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(EndHelperDocument, {
            input: { customerId: id, staffId: a.agent.staff.id },
          }),
        ),
    },
    {
      argument: 'endHelper input.staffId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(EndHelperDocument, {
            input: { customerId: a.customer.id, staffId: id },
          }),
        ),
    },
    {
      argument: 'helperChanges customerId',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: ({ token }, id) => firstEventOutcome(token, HelperChangesDocument, { customerId: id }),
    },
    // Assisted service
    ...(['customerId', 'assistedById'] as const).map((field): ForeignIdCase => ({
      argument: `serviceRequests filter.${field}`,
      expect: 'EMPTY',
      integrationMay: true,
      foreignId: () => (field === 'customerId' ? b.customer.id : b.agent.staff.id),
      call: async ({ api }, id) =>
        totalOutcome(
          await api.request(ServiceRequestsDocument, { filter: { [field]: id } }),
          'serviceRequests',
        ),
    })),
    ...(['actorId', 'subjectId', 'onBehalfOfId', 'assistSessionId'] as const).map(
      (field): ForeignIdCase => ({
        argument: `auditEvents filter.${field}`,
        expect: 'EMPTY',
        integrationMay: false,
        foreignId: () =>
          ({
            actorId: b.agent.staff.id,
            subjectId: b.customer.id,
            onBehalfOfId: b.customer.id,
            assistSessionId: b.assistSessionId,
          })[field],
        call: async ({ api }, id) =>
          totalOutcome(
            await api.request(AuditEventsDocument, { filter: { [field]: id } }),
            'auditEvents',
          ),
      }),
    ),
    {
      argument: 'assistTimesheet agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(AssistTimesheetDocument, {
            agentId: id,
            from: '2026-01-01',
            to: '2026-01-31',
          }),
        ),
    },
    {
      argument: 'startAssisting input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: false,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(StartAssistingDocument, {
            input: { customerId: id, channel: 'VOICE', service: 'Council tax' },
          }),
        ),
    },
    {
      argument: 'submitRequest input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SubmitRequestDocument, {
            input: { customerId: id, service: 'Council tax', form: {} },
          }),
        ),
    },
    {
      argument: 'startWorkflow input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(StartWorkflowDocument, {
            input: { customerId: id, service: 'Council tax', data: {} },
          }),
        ),
    },
    {
      argument: 'updateCustomerProfile input.customerId',
      expect: { notFound: 'Customer' },
      integrationMay: true,
      foreignId: () => b.customer.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateCustomerProfileDocument, {
            input: { customerId: id, name: 'Taken over' },
          }),
        ),
    },
    ...(
      [
        ['saveForm', SaveFormDocument],
        ['submitForm', SubmitFormDocument],
      ] as const
    ).flatMap(([mutation, document]): ForeignIdCase[] => [
      {
        argument: `${mutation} input.customerId`,
        expect: { notFound: 'Customer' },
        integrationMay: true,
        foreignId: () => b.customer.id,
        call: async ({ api }, id) =>
          outcomeOf(
            await api.request(document as typeof SaveFormDocument, {
              input: { customerId: id, service: 'Parking permit', form: {} },
            }),
          ),
      },
      {
        argument: `${mutation} input.formId`,
        expect: { notFound: 'ServiceRequest' },
        integrationMay: true,
        foreignId: () => b.formId,
        call: async ({ api }, id) =>
          outcomeOf(
            await api.request(document as typeof SaveFormDocument, {
              input: { customerId: a.customer.id, formId: id, service: 'Parking permit', form: {} },
            }),
          ),
      },
    ]),
    // Subscriptions
    {
      argument: 'conversationEvents inboxId',
      expect: { notFound: 'Inbox' },
      integrationMay: true,
      foreignId: () => b.org.inbox.id,
      call: ({ token }, id) =>
        firstEventOutcome(token, ConversationEventsDocument, { inboxId: id }),
    },
    // Supervision (C10–C14)
    {
      argument: 'agentInfo agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) => outcomeOf(await api.request(AgentInfoDocument, { agentId: id })),
    },
    {
      argument: 'agentActivity agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(AgentActivityDocument, { agentId: id })),
    },
    {
      argument: 'agentActivityUpdates agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: ({ token }, id) =>
        firstEventOutcome(token, AgentActivityUpdatesDocument, { agentId: id }),
    },
    {
      argument: 'pauseAgent input.agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(PauseAgentDocument, { input: { agentId: id, reason: 'lunch' } }),
        ),
    },
    {
      argument: 'resumeAgent input.agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(ResumeAgentDocument, { input: { agentId: id } })),
    },
    {
      argument: 'disconnectAgent input.agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(DisconnectAgentDocument, { input: { agentId: id } })),
    },
    {
      argument: 'sendAgentChat input.toStaffId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SendAgentChatDocument, { input: { toStaffId: id, body: 'psst' } }),
        ),
    },
    {
      argument: 'markAgentChatRead input.staffId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(MarkAgentChatReadDocument, { input: { staffId: id } })),
    },
    {
      argument: 'spy agentId',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: ({ token }, id) => firstEventOutcome(token, SpyDocument, { agentId: id }),
    },
    {
      argument: 'spy conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: ({ token }, id) => firstEventOutcome(token, SpyDocument, { conversationId: id }),
    },
    {
      argument: 'sendMessage input.cannedResponseId',
      expect: { notFound: 'CannedResponse' },
      integrationMay: false,
      foreignId: () => b.cannedResponseId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SendMessageDocument, {
            input: { conversationId: a.conversation.id, cannedResponseId: id },
          }),
        ),
    },
    // Campaigns (C1, C2, C17)
    {
      argument: 'interactionRecords filter.campaignId',
      expect: 'EMPTY',
      integrationMay: false,
      foreignId: () => b.campaignId,
      call: async ({ api }, id) =>
        totalOutcome(
          await api.request(InteractionRecordsDocument, { filter: { campaignId: id } }),
          'interactionRecords',
        ),
    },
    {
      argument: 'interactionRecords filter.agentId',
      expect: 'EMPTY',
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        totalOutcome(
          await api.request(InteractionRecordsDocument, { filter: { agentId: id } }),
          'interactionRecords',
        ),
    },
    {
      argument: 'campaignQueue campaignId',
      expect: { notFound: 'Campaign' },
      integrationMay: true,
      foreignId: () => b.campaignId,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(CampaignQueueDocument, { campaignId: id })),
    },
    ...(['campaignIds', 'after.campaignId'] as const).map((field): ForeignIdCase => ({
      argument: `queueEvents ${field}`,
      expect: { notFound: 'Campaign' },
      integrationMay: true,
      foreignId: () => b.campaignId,
      call: ({ token }, id) =>
        firstEventOutcome(token, QueueEventsDocument, {
          campaignIds: [a.campaignId, id],
          after: field === 'after.campaignId' ? [{ campaignId: id, seq: 0 }] : null,
        }),
    })),
    ...(['campaignId', 'cannedResponseId'] as const).map((field): ForeignIdCase => ({
      argument: `startOutgoingInteraction input.${field}`,
      expect: { notFound: field === 'campaignId' ? 'Campaign' : 'CannedResponse' },
      integrationMay: false,
      foreignId: () => (field === 'campaignId' ? b.campaignId : b.cannedResponseId),
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(StartOutgoingInteractionDocument, {
            input: {
              campaignId: field === 'campaignId' ? id : a.campaignId,
              to: '+14155550142',
              cannedResponseId: field === 'cannedResponseId' ? id : a.cannedResponseId,
            },
          }),
        ),
    })),
    {
      argument: 'retryMessage input.messageId',
      expect: { notFound: 'Message' },
      integrationMay: false,
      foreignId: () => b.messageId,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(RetryMessageDocument, { input: { messageId: id } })),
    },
    {
      argument: 'campaignMonitor campaignId',
      expect: { notFound: 'Campaign' },
      integrationMay: false,
      foreignId: () => b.campaignId,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(CampaignMonitorDocument, { campaignId: id })),
    },
    {
      argument: 'campaignMonitorUpdates campaignId',
      expect: { notFound: 'Campaign' },
      integrationMay: false,
      foreignId: () => b.campaignId,
      call: ({ token }, id) =>
        firstEventOutcome(token, CampaignMonitorUpdatesDocument, { campaignId: id }),
    },
    {
      argument: 'takeInteraction input.campaignId',
      expect: { notFound: 'Campaign' },
      integrationMay: false,
      foreignId: () => b.campaignId,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(TakeInteractionDocument, { input: { campaignId: id } })),
    },
    {
      argument: 'takeInteraction input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(TakeInteractionDocument, { input: { conversationId: id } })),
    },
    {
      argument: 'abandonInteraction input.conversationId',
      expect: { notFound: 'Conversation' },
      integrationMay: true,
      adminMay: false,
      foreignId: () => b.conversation.id,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(AbandonInteractionDocument, { input: { conversationId: id } })),
    },
    {
      argument: 'campaign id',
      expect: { notFound: 'Campaign' },
      integrationMay: true,
      foreignId: () => b.campaignId,
      call: async ({ api }, id) => outcomeOf(await api.request(CampaignByIdDocument, { id })),
    },
    {
      argument: 'provider id',
      expect: { notFound: 'Provider' },
      integrationMay: false,
      foreignId: () => b.providerId,
      call: async ({ api }, id) => outcomeOf(await api.request(ProviderByIdDocument, { id })),
    },
    {
      argument: 'updateProvider input.providerId',
      expect: { notFound: 'Provider' },
      integrationMay: false,
      foreignId: () => b.providerId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateProviderDocument, {
            input: { providerId: id, accessToken: 'taken over' },
          }),
        ),
    },
    {
      argument: 'deleteProvider input.providerId',
      expect: { notFound: 'Provider' },
      integrationMay: false,
      foreignId: () => b.providerId,
      call: async ({ api }, id) =>
        outcomeOf(await api.request(DeleteProviderDocument, { input: { providerId: id } })),
    },
    ...(['providerId', 'memberIds', 'cannedResponses.id'] as const).map((field): ForeignIdCase => ({
      argument: `createCampaign input.${field}`,
      expect: {
        notFound: {
          providerId: 'Provider',
          memberIds: 'Staff',
          'cannedResponses.id': 'CannedResponse',
        }[field],
      },
      integrationMay: false,
      foreignId: () =>
        ({
          providerId: b.providerId,
          memberIds: b.agent.staff.id,
          'cannedResponses.id': b.cannedResponseId,
        })[field],
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(CreateCampaignDocument, {
            input: {
              name: `Foreign ${randomUUID()}`,
              // A's provider already serves A's enabled campaign: this one starts disabled.
              enabled: false,
              providerId: field === 'providerId' ? id : a.providerId,
              maxInteractionsPerAgent: 1,
              serviceLevelSeconds: 10,
              abandonAfterSeconds: 60,
              memberIds: field === 'memberIds' ? [id] : [a.agent.staff.id],
              cannedResponses:
                field === 'cannedResponses.id' ? [{ id, title: 't', body: 'b' }] : [],
            },
          }),
        ),
    })),
    {
      argument: 'updateCampaign input.campaignId',
      expect: { notFound: 'Campaign' },
      integrationMay: false,
      foreignId: () => b.campaignId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateCampaignDocument, { input: { campaignId: id, enabled: false } }),
        ),
    },
    {
      argument: 'updateCampaign input.providerId',
      expect: { notFound: 'Provider' },
      integrationMay: false,
      foreignId: () => b.providerId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateCampaignDocument, {
            input: { campaignId: a.campaignId, providerId: id },
          }),
        ),
    },
    {
      argument: 'updateCampaign input.cannedResponses.id',
      expect: { notFound: 'CannedResponse' },
      integrationMay: false,
      foreignId: () => b.cannedResponseId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(UpdateCampaignDocument, {
            input: { campaignId: a.campaignId, cannedResponses: [{ id, title: 't', body: 'b' }] },
          }),
        ),
    },
    {
      argument: 'setCampaignMembers input.campaignId',
      expect: { notFound: 'Campaign' },
      integrationMay: false,
      foreignId: () => b.campaignId,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SetCampaignMembersDocument, {
            input: { campaignId: id, staffIds: [] },
          }),
        ),
    },
    {
      argument: 'setCampaignMembers input.staffIds',
      expect: { notFound: 'Staff' },
      integrationMay: false,
      foreignId: () => b.agent.staff.id,
      call: async ({ api }, id) =>
        outcomeOf(
          await api.request(SetCampaignMembersDocument, {
            input: { campaignId: a.campaignId, staffIds: [a.agent.staff.id, id] },
          }),
        ),
    },
  ];

  it('has a case for every id that a query, mutation or subscription takes', async () => {
    const schema = await getSchema();
    const inSchema = [
      ...idArgumentsOf(schema, 'Query'),
      ...idArgumentsOf(schema, 'Mutation'),
      ...idArgumentsOf(schema, 'Subscription'),
    ].sort();
    // signIn's organization is not a record of the caller's: it is pinned on its own below.
    expect([...cases.map((c) => c.argument), 'signIn input.organizationId'].sort()).toEqual(
      inSchema,
    );
  });

  it("signIn naming B's organization with A's credentials is a wrong email or password, as an unknown organization is", async () => {
    const credentials = { email: a.org.admin.staff.email, password: PASSWORD };
    const foreign = await a.org.anonymous.fails(SignInDocument, {
      input: { ...credentials, organizationId: b.org.id },
    });
    const unknown = await a.org.anonymous.fails(SignInDocument, {
      input: { ...credentials, organizationId: randomUUID() },
    });
    expect(foreign).toEqual(unknown);
    expect(foreign.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  describe.each([
    ['an ADMIN of A', () => ({ api: a.org.admin.api, token: a.org.admin.token }), false],
    ['an INTEGRATION key of A', () => a.integration, true],
  ] as const)('%s, with B’s ids', (_who, caller, isIntegration) => {
    it.each(cases.map((c) => [c.argument, c] as const))(
      '%s: answers as for an id that does not exist, and writes nothing',
      async (_argument, c) => {
        const before = await fingerprintDatabase(server.dataSource);
        const foreignId = c.foreignId();
        const withForeignId = await c.call(caller(), foreignId);
        const withUnknownId = await c.call(caller(), randomUUID());

        if ((isIntegration && !c.integrationMay) || (!isIntegration && c.adminMay === false)) {
          // The role may not call it at all: the same refusal whatever the id, so it tells nothing.
          expect(withForeignId.code).toBe('FORBIDDEN');
        } else if (c.expect === 'EMPTY') {
          expect(withForeignId).toEqual({ items: 0 });
        } else {
          expect(withForeignId).toEqual({
            code: 'NOT_FOUND',
            message: `${c.expect.notFound} not found`,
            id: foreignId,
          });
        }
        expect({ ...withForeignId, id: undefined }).toEqual({ ...withUnknownId, id: undefined });
        expect(await fingerprintDatabase(server.dataSource)).toEqual(before);
      },
    );
  });

  /** Every id of B's rows, in every table that has an id and an organization. */
  async function idsOfB(): Promise<Set<string>> {
    const tables = (await server.dataSource.query(
      `SELECT table_name AS name FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name = 'organization_id'
          AND table_name IN (SELECT table_name FROM information_schema.columns
                              WHERE table_schema = 'public' AND column_name = 'id')`,
    )) as Array<{ name: string }>;
    const ids = new Set<string>([b.org.id]);
    for (const { name } of tables) {
      const rows = (await server.dataSource.query(
        `SELECT id FROM "${name}" WHERE organization_id = $1`,
        [b.org.id],
      )) as Array<{ id: string }>;
      rows.forEach((row) => ids.add(row.id));
    }
    return ids;
  }

  /** Every `id` anywhere in a response. */
  function idsIn(value: unknown): string[] {
    if (Array.isArray(value)) return value.flatMap(idsIn);
    if (value && typeof value === 'object') {
      return Object.entries(value).flatMap(([key, inner]) =>
        key === 'id' && typeof inner === 'string' ? [inner] : idsIn(inner),
      );
    }
    return [];
  }

  it.each([
    ['an ADMIN of A', () => a.org.admin.api],
    ['an INTEGRATION key of A', () => a.integration.api],
  ] as const)('%s lists only A’s rows, nested ones included', async (_who, api) => {
    const data = await api().ok(TenancyEverythingVisibleDocument);
    const seen = idsIn(data);
    const foreign = await idsOfB();
    expect(seen.filter((id) => foreign.has(id))).toEqual([]);
    // Not vacuous: A's own rows of every kind are there.
    expect(seen).toEqual(
      expect.arrayContaining([
        a.agent.staff.id,
        a.org.admin.staff.id,
        a.inbox.id,
        a.org.inbox.id,
        a.customer.id,
        a.contact.id,
        a.conversation.id,
      ]),
    );
    const byName = await api().ok(CustomersDocument, { filter: { query: b.customer.name } });
    expect(byName.customers).toMatchObject({ totalCount: 0, edges: [] });
    const searched = await api().ok(SearchCustomersDocument, {
      query: b.customer.email as string,
      first: 100,
    });
    expect(idsIn(searched).filter((id) => foreign.has(id))).toEqual([]);
    const requests = await api().ok(ServiceRequestsDocument, { first: 100 });
    expect(idsIn(requests).filter((id) => foreign.has(id))).toEqual([]);
    expect(requests.serviceRequests.totalCount).toBe(2);
  });

  it('lists only A’s API keys', async () => {
    const { apiKeys } = await a.org.admin.api.ok(ApiKeysDocument);
    expect(apiKeys.map((key) => key.id)).toEqual([a.apiKeyId]);
  });

  it('counts only A’s rows in totalCount', async () => {
    const { conversations } = await a.org.admin.api.ok(ConversationsDocument, { first: 1 });
    const [{ count }] = (await server.dataSource.query(
      'SELECT count(*)::int AS count FROM conversation WHERE organization_id = $1 AND deleted_at IS NULL',
      [a.org.id],
    )) as Array<{ count: number }>;
    expect(conversations.totalCount).toBe(count);
  });

  // No operation can create a reference across organizations; these rows are written straight
  // to the tables to prove that the field resolvers would not follow one anyway.
  describe('a stray reference to another organization’s row resolves to nothing', () => {
    it('Staff.defaultInbox', async () => {
      await server.dataSource.query('UPDATE staff SET default_inbox_id = $1 WHERE id = $2', [
        b.inbox.id,
        a.agent.staff.id,
      ]);
      const { staff } = await a.org.admin.api.ok(TenancyStaffWithInboxDocument, {
        id: a.agent.staff.id,
      });
      expect(staff.defaultInbox).toBeNull();
    });

    it('Conversation.assignee, Conversation.contact and Conversation.messages', async () => {
      await server.dataSource.query(
        'UPDATE conversation SET assignee_id = $1, contact_id = $2 WHERE id = $3',
        [b.agent.staff.id, b.contact.id, a.conversation.id],
      );
      await server.dataSource.query(
        `INSERT INTO message (organization_id, conversation_id, direction, author_kind, body, delivery_state)
         VALUES ($1, $2, 'INCOMING', 'CUSTOMER', 'planted', 'RECEIVED')`,
        [b.org.id, a.conversation.id],
      );
      const { conversation } = await a.org.admin.api.ok(ConversationDocument, {
        id: a.conversation.id,
      });
      expect(conversation.assignee).toBeNull();
      expect(conversation.contact).toBeNull();
      expect(conversation.messages.edges.map((edge) => edge.node.body)).toEqual([
        'Hello from the customer',
      ]);
      expect(conversation.messages.totalCount).toBe(1);
    });

    it('Customer.contacts and Customer.conversations', async () => {
      await server.dataSource.query(
        `INSERT INTO contact (organization_id, customer_id, kind, value) VALUES ($1, $2, 'EMAIL', 'planted@example.com')`,
        [b.org.id, a.customer.id],
      );
      await server.dataSource.query(
        `INSERT INTO conversation (organization_id, customer_id, channel, inbox_id, direction)
         VALUES ($1, $2, 'CHAT', $3, 'INCOMING')`,
        [b.org.id, a.customer.id, b.org.inbox.id],
      );
      const { customer } = await a.org.admin.api.ok(TenancyCustomerWithRelationsDocument, {
        id: a.customer.id,
      });
      expect(customer.contacts.map((contact) => contact.value)).not.toContain(
        'planted@example.com',
      );
      expect(customer.conversations.edges.map((edge) => edge.node.id)).toEqual([a.conversation.id]);
      expect(customer.conversations.totalCount).toBe(1);
    });

    it('Inbox.members', async () => {
      await server.dataSource.query(
        'INSERT INTO inbox_member (inbox_id, staff_id, organization_id) VALUES ($1, $2, $3)',
        [a.org.inbox.id, b.agent.staff.id, a.org.id],
      );
      const { inbox } = await a.org.admin.api.ok(InboxDocument, { id: a.org.inbox.id });
      const members = inbox.members.map((member) => member.id);
      expect(members).toContain(a.agent.staff.id);
      expect(members).not.toContain(b.agent.staff.id);
    });
  });
});
