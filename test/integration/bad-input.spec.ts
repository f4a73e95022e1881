import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getMetadataStorage } from 'class-validator';
import { getNamedType, GraphQLString, printSchema } from 'graphql';
import { encodeCursor } from '../../src/db/pagination';
import { Channel, ContactKind, Role } from '../../src/entities/enums';
import type { Conversation } from '../../src/entities/conversation.entity';
import type { Customer } from '../../src/entities/customer.entity';
import type { Inbox } from '../../src/entities/inbox.entity';
import {
  CreateApiKeyInput,
  RevokeApiKeyInput,
  SignInInput,
} from '../../src/resolvers/auth/auth.inputs';
import {
  AssignConversationInput,
  CloseConversationInput,
  ConversationInput,
  PostCustomerMessageInput,
  RetryMessageInput,
  SendMessageInput,
  StartConversationInput,
} from '../../src/resolvers/conversation/conversation.inputs';
import { AddHelperInput, EndHelperInput } from '../../src/resolvers/helper/helper.inputs';
import {
  ClearDedicatedHeroInput,
  SetDedicatedHeroInput,
} from '../../src/resolvers/routing/routing.types';
import { EnterInboxInput, TicketInput } from '../../src/resolvers/lock/lock.inputs';
import {
  AddContactInput,
  CreateCustomerInput,
  UpdateCustomerInput,
} from '../../src/resolvers/customer/customer.inputs';
import {
  CreateInboxInput,
  SetInboxMembersInput,
  UpdateInboxInput,
} from '../../src/resolvers/inbox/inbox.inputs';
import {
  CreateStaffInput,
  DeactivateStaffInput,
  SetMyStatusInput,
  UpdateStaffInput,
} from '../../src/resolvers/staff/staff.inputs';
import { EndAssistingInput, StartAssistingInput } from '../../src/resolvers/assist/assist.inputs';
import {
  RegisterCustomerInput,
  UpdateCustomerProfileInput,
} from '../../src/resolvers/assist/assisted-customer.inputs';
import {
  FormInput,
  StartWorkflowInput,
  SubmitRequestInput,
} from '../../src/resolvers/assist/service-request.inputs';
import { UpdateOrganizationInput } from '../../src/resolvers/organization/organization.inputs';
import { AgentInput, PauseAgentInput } from '../../src/resolvers/supervision/supervision.inputs';
import {
  MarkAgentChatReadInput,
  SendAgentChatInput,
} from '../../src/resolvers/supervision/agent-chat.types';
import {
  CreateCampaignInput,
  SetCampaignMembersInput,
  UpdateCampaignInput,
} from '../../src/resolvers/campaign/campaign.inputs';
import {
  CreateProviderInput,
  DeleteProviderInput,
  UpdateProviderInput,
} from '../../src/resolvers/provider/provider.inputs';
import type { Campaign } from '../../src/entities/campaign.entity';
import type { Provider } from '../../src/entities/provider.entity';
import { newCampaign, newWhatsAppProvider } from '../support/campaigns';
import {
  AbandonInteractionInput,
  TakeInteractionInput,
} from '../../src/resolvers/campaign/queue.types';
import { StartOutgoingInteractionInput } from '../../src/resolvers/campaign/outgoing.inputs';
import { getSchema } from '../../src/schema/build-schema';
import {
  AddContactDocument,
  ArchiveConversationDocument,
  AssignConversationDocument,
  BadInputConversationMessagesDocument,
  BadInputContactHistoryDocument,
  InteractionRecordsDocument,
  BadInputCustomerConversationsDocument,
  CloseConversationDocument,
  ConversationsDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CreateInboxDocument,
  CreateStaffDocument,
  CustomersDocument,
  DeactivateStaffDocument,
  DeleteConversationDocument,
  InboxesDocument,
  PostCustomerMessageDocument,
  RevokeApiKeyDocument,
  SendMessageDocument,
  SetInboxMembersDocument,
  SetMyStatusDocument,
  SignInDocument,
  StaffMembersDocument,
  StartConversationDocument,
  UpdateCustomerDocument,
  UpdateInboxDocument,
  UpdateStaffDocument,
  EnterInboxDocument,
  ForceReleaseTicketDocument,
  OpenTicketDocument,
  ReleaseTicketDocument,
  AddHelperDocument,
  EndHelperDocument,
  ClearDedicatedHeroDocument,
  ReassignToHeroDocument,
  SetDedicatedHeroDocument,
  EndAssistingDocument,
  RegisterCustomerDocument,
  SaveFormDocument,
  StartAssistingDocument,
  StartWorkflowDocument,
  SubmitFormDocument,
  SubmitRequestDocument,
  UpdateCustomerProfileDocument,
  UpdateOrganizationDocument,
  AuditEventsDocument,
  SearchCustomersDocument,
  ServiceRequestsDocument,
  CreateCampaignDocument,
  CreateProviderDocument,
  DeleteProviderDocument,
  SetCampaignMembersDocument,
  UpdateCampaignDocument,
  UpdateProviderDocument,
  AbandonInteractionDocument,
  DisconnectAgentDocument,
  MarkAgentChatReadDocument,
  PauseAgentDocument,
  ResumeAgentDocument,
  SendAgentChatDocument,
  TakeInteractionDocument,
  StartOutgoingInteractionDocument,
  RetryMessageDocument,
} from '../generated/graphql';
import { GraphQLClient, type GraphQLErrorShape } from '../support/client';
import { openWindow, type Window } from '../support/windows';
import {
  newAgent,
  newConversation,
  newCustomer,
  newInbox,
  newOrg,
  PASSWORD,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import {
  emittedSchema,
  fingerprintDatabase,
  idArgumentsOf,
  inputTypeOf,
  operationsOf,
  requiredInputFieldsOf,
} from './refusals';

type Input = Record<string, unknown>;
type InputDocument = TypedDocumentNode<unknown, { input: Input }>;

/** A mutation's document with its variables loosened, to send inputs that do not type-check. */
const loose = <TData, TInput>(document: TypedDocumentNode<TData, { input: TInput }>) =>
  document as unknown as InputDocument;

interface Malformed {
  /** The field `extensions.field` must name. */
  field: string;
  /** What is wrong, for the test name. */
  why: string;
  /** Merged into the valid input. */
  set: Input;
}

interface MutationCase {
  mutation: string;
  document: InputDocument;
  /** The class-validator input class: its @MaxLength constraints are each tried. */
  inputClass: Function;
  /** An input that is valid in every field, naming existing rows. */
  valid(): Input;
  /** For inputs with alternatives (an agent or an inbox): a valid input that uses `field`. */
  validUsing?(field: string): Input;
  malformed: Malformed[];
  /** What must hold before the valid input succeeds (run only by the test that sends it). */
  prepare?(): Promise<unknown>;
  /** Who sends it, when an ADMIN may not (default the ADMIN). */
  caller?(): GraphQLClient;
  /** Every field is optional but exactly one must be given: an empty input is refused. */
  oneOf?: boolean;
}

const bad = (field: string, why: string, value: unknown): Malformed => ({
  field,
  why,
  set: { [field]: value },
});

const unique = () => randomUUID().slice(0, 8);

/**
 * `input` with `id` at `path` (`staffIds`, or `cannedResponses.id` inside a list of objects: its
 * first item), and the field a validation error names there (`cannedResponses.0.id`).
 */
function withIdAt(input: Input, path: string, id: string): [Input, string] {
  const [head, ...rest] = path.split('.');
  const current = input[head];
  if (rest.length === 0) return [{ ...input, [head]: Array.isArray(current) ? [id] : id }, head];
  if (!Array.isArray(current) || current.length === 0)
    throw new Error(`the valid input needs an item in ${head} to put an id at ${path}`);
  const [item, field] = withIdAt(current[0] as Input, rest.join('.'), id);
  return [{ ...input, [head]: [item, ...current.slice(1)] }, `${head}.0.${field}`];
}

describe('bad input: a clear code, and nothing written', () => {
  const schema = emittedSchema();
  let server: TestServer;
  let org: Org;
  let agent: Member;
  let otherAgent: Member;
  let inbox: Inbox;
  let customer: Customer;
  let otherCustomer: Customer;
  let contactId: string;
  let conversation: Conversation;
  let apiKeyId: string;
  /** Serves `campaign`; `spareProvider` serves nothing (deleteProvider's valid input). */
  let provider: Provider;
  let spareProvider: Provider;
  let campaign: Campaign;
  let cannedResponseId: string;
  /** An approved template of `campaign`: what starts an outgoing interaction (C16). */
  let templateResponseId: string;
  /** A FAILED message of `campaignConversationId` (retryMessage's valid input). */
  let failedMessageId: string;
  /** Waiting in `campaign`'s queue: the oldest (taken last) and one an integration abandons. */
  let campaignConversationId: string;
  let abandonedConversationId: string;
  /** An INTEGRATION key; `agent` (a member of `campaign`) working in a window of theirs. */
  let integration: GraphQLClient;
  let agentWindow: Window;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    [agent, otherAgent, inbox] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newInbox(org, 'Support'),
    ]);
    customer = await newCustomer(org, { phone: '+14155550100', email: 'ann@example.com' });
    otherCustomer = await newCustomer(org, {
      phone: '+14155550199',
      email: 'bob@example.com',
      username: 'bob',
    });
    const [{ id }] = (await server.dataSource.query(
      `SELECT id FROM contact WHERE customer_id = $1 AND kind = 'PHONE'`,
      [customer.id],
    )) as Array<{ id: string }>;
    contactId = id;
    conversation = await newConversation(org, { customer, body: 'First message' });
    await server.services.conversations.assign(org.admin.auth, conversation.id, agent.staff.id);
    ({
      apiKey: { id: apiKeyId },
    } = await server.services.apiKeys.create(org.admin.auth, 'Partner', Role.INTEGRATION));
    [provider, spareProvider] = await Promise.all([
      // Nothing listens there: what the outbox tries to send fails at once, and is retried later.
      newWhatsAppProvider(org, { apiBaseUrl: 'http://127.0.0.1:9/v21.0' }),
      newWhatsAppProvider(org),
    ]);
    campaign = await newCampaign(org, {
      provider,
      members: [agent],
      cannedResponses: [
        { title: 'Hi', body: 'Hello!' },
        { title: 'Welcome', body: 'Welcome!', templateName: 'welcome', templateLanguage: 'en' },
      ],
    });
    const [{ id: cannedId }, { id: templateId }] = (await server.dataSource.query(
      'SELECT id FROM canned_response WHERE campaign_id = $1 ORDER BY position',
      [campaign.id],
    )) as Array<{ id: string }>;
    cannedResponseId = cannedId;
    templateResponseId = templateId;
    const arrive = async () =>
      (
        await server.services.inbound.receive({
          providerId: provider.id,
          providerMessageId: `wamid.${randomUUID()}`,
          from: `+1415555${String(Math.floor(Math.random() * 9000) + 1000)}`,
          to: provider.accountNumber,
          body: 'Hi',
          providerTimestamp: new Date(),
          contentType: 'text',
        })
      ).conversationId;
    campaignConversationId = await arrive();
    abandonedConversationId = await arrive();
    // A template the provider refused (as the outbox records it): what retryMessage sends again.
    const [{ id: failedId }] = (await server.dataSource.query(
      `INSERT INTO message (organization_id, conversation_id, direction, author_kind, author_id, body,
                            delivery_state, provider_id, template_name, template_language,
                            delivery_error_code, delivery_error_reason, send_attempts)
       VALUES ($1, $2, 'OUTGOING', 'STAFF', $3, 'Welcome!', 'FAILED', $4, 'welcome', 'en',
               '131026', 'Message undeliverable', 1)
       RETURNING id`,
      [org.id, campaignConversationId, agent.staff.id, provider.id],
    )) as Array<{ id: string }>;
    failedMessageId = failedId;
    const bot = await server.services.apiKeys.create(org.admin.auth, 'Bot', Role.INTEGRATION);
    integration = new GraphQLClient(server.url, bot.key);
    // Through a window: a request marks its window seen (left out of the fingerprint), not
    // the sign-in, so a refusal by another caller than the ADMIN writes nothing either.
    agentWindow = await openWindow(server, agent);
  });
  afterAll(async () => {
    await agentWindow.socket.dispose();
    await server.stop();
  });

  const cases: MutationCase[] = [
    {
      mutation: 'signIn',
      document: loose(SignInDocument),
      inputClass: SignInInput,
      valid: () => ({ email: agent.staff.email, password: PASSWORD }),
      malformed: [bad('email', 'not an email', 'not-an-email'), bad('password', 'empty', '')],
    },
    {
      mutation: 'createApiKey',
      document: loose(CreateApiKeyDocument),
      inputClass: CreateApiKeyInput,
      valid: () => ({ name: `Key ${unique()}`, role: 'INTEGRATION' }),
      malformed: [
        bad('name', 'empty', ''),
        bad('name', 'blank', '   '),
        bad('role', 'not a role', 'BOSS'),
        bad('role', 'AGENT, which only people are', 'AGENT'),
      ],
    },
    {
      mutation: 'revokeApiKey',
      document: loose(RevokeApiKeyDocument),
      inputClass: RevokeApiKeyInput,
      valid: () => ({ apiKeyId }),
      malformed: [],
    },
    {
      mutation: 'startConversation',
      document: loose(StartConversationDocument),
      inputClass: StartConversationInput,
      valid: () => ({
        customerId: customer.id,
        contactId,
        channel: 'CHAT',
        inboxId: inbox.id,
        subject: 'Billing',
        body: 'Hello',
        direction: 'INCOMING',
      }),
      malformed: [
        bad('channel', 'not a channel', 'FAX'),
        bad('direction', 'not a direction', 'SIDEWAYS'),
        bad('body', 'blank', '   '),
      ],
    },
    {
      mutation: 'assignConversation',
      document: loose(AssignConversationDocument),
      inputClass: AssignConversationInput,
      valid: () => ({ conversationId: conversation.id, staffId: otherAgent.staff.id }),
      malformed: [],
    },
    {
      mutation: 'closeConversation',
      document: loose(CloseConversationDocument),
      inputClass: CloseConversationInput,
      valid: () => ({ conversationId: conversation.id }),
      malformed: [bad('lockToken', 'negative', -1)],
    },
    ...(['archiveConversation', 'deleteConversation'] as const).map((mutation): MutationCase => ({
      mutation,
      document: {
        archiveConversation: loose(ArchiveConversationDocument),
        deleteConversation: loose(DeleteConversationDocument),
      }[mutation],
      inputClass: ConversationInput,
      valid: () => ({ conversationId: conversation.id }),
      malformed: [],
    })),
    ...(
      [
        ['openTicket', OpenTicketDocument],
        ['releaseTicket', ReleaseTicketDocument],
        ['forceReleaseTicket', ForceReleaseTicketDocument],
      ] as const
    ).map(([mutation, document]): MutationCase => ({
      mutation,
      document: loose(document as typeof OpenTicketDocument),
      inputClass: TicketInput,
      valid: () => ({ conversationId: conversation.id }),
      malformed: [],
    })),
    {
      mutation: 'setDedicatedHero',
      document: loose(SetDedicatedHeroDocument),
      inputClass: SetDedicatedHeroInput,
      valid: () => ({ customerId: customer.id, agentId: agent.staff.id }),
      validUsing: (field) =>
        field === 'inboxId'
          ? { customerId: customer.id, inboxId: inbox.id }
          : { customerId: customer.id, agentId: agent.staff.id },
      malformed: [
        bad('inboxId', 'given beside an agent (a hero is one or the other)', randomUUID()),
        bad('agentId', 'missing, and no inbox either', null),
      ],
    },
    {
      mutation: 'reassignToHero',
      document: loose(ReassignToHeroDocument),
      inputClass: ConversationInput,
      valid: () => ({ conversationId: conversation.id }),
      malformed: [],
    },
    {
      mutation: 'clearDedicatedHero',
      document: loose(ClearDedicatedHeroDocument),
      inputClass: ClearDedicatedHeroInput,
      valid: () => ({ customerId: customer.id }),
      malformed: [],
    },
    {
      mutation: 'addHelper',
      document: loose(AddHelperDocument),
      inputClass: AddHelperInput,
      valid: () => ({ customerId: customer.id, staffId: agent.staff.id }),
      malformed: [
        bad('until', 'not a time', 'tomorrow'),
        bad('until', 'in the past', '2020-01-01T00:00:00Z'),
      ],
    },
    {
      mutation: 'endHelper',
      document: loose(EndHelperDocument),
      inputClass: EndHelperInput,
      valid: () => ({ customerId: customer.id, staffId: agent.staff.id }),
      malformed: [],
    },
    {
      mutation: 'enterInbox',
      document: loose(EnterInboxDocument),
      inputClass: EnterInboxInput,
      valid: () => ({ inboxId: inbox.id }),
      malformed: [],
    },
    {
      mutation: 'postCustomerMessage',
      document: loose(PostCustomerMessageDocument),
      inputClass: PostCustomerMessageInput,
      valid: () => ({ conversationId: conversation.id, body: 'More' }),
      malformed: [bad('body', 'empty', ''), bad('body', 'blank', ' \n ')],
    },
    {
      mutation: 'sendMessage',
      document: loose(SendMessageDocument),
      inputClass: SendMessageInput,
      valid: () => ({ conversationId: conversation.id, body: 'A reply' }),
      malformed: [bad('body', 'empty', ''), bad('body', 'blank', ' \n ')],
    },
    {
      mutation: 'createCustomer',
      document: loose(CreateCustomerDocument),
      inputClass: CreateCustomerInput,
      valid: () => ({
        name: `Customer ${unique()}`,
        username: `user-${unique()}`,
        email: `${unique()}@example.com`,
        phone: '+14155550111',
        postalAddress: '1 Main St',
      }),
      malformed: [
        bad('name', 'empty', ''),
        bad('name', 'blank', '   '),
        bad('username', 'blank', '   '),
        bad('email', 'not an email', 'not-an-email'),
        bad('email', 'empty', ''),
        bad('phone', 'not a phone number', 'call me maybe'),
        bad('phone', 'too short to be a number', '+1 555'),
      ],
    },
    {
      mutation: 'updateCustomer',
      document: loose(UpdateCustomerDocument),
      inputClass: UpdateCustomerInput,
      valid: () => ({
        customerId: customer.id,
        name: 'Ann',
        username: `ann-${unique()}`,
        email: 'ann@example.com',
        phone: '+14155550100',
        postalAddress: '2 Main St',
      }),
      malformed: [
        bad('name', 'null (a customer keeps a name)', null),
        bad('name', 'blank', '   '),
        bad('email', 'not an email', 'nope'),
        bad('phone', 'not a phone number', 'abc'),
      ],
    },
    {
      mutation: 'addContact',
      document: loose(AddContactDocument),
      inputClass: AddContactInput,
      valid: () => ({ customerId: customer.id, kind: 'EMAIL', value: `${unique()}@example.com` }),
      malformed: [
        bad('kind', 'not a kind', 'FAX'),
        bad('value', 'empty', ''),
        { field: 'value', why: 'not a phone number', set: { kind: 'PHONE', value: 'abc' } },
        { field: 'value', why: 'not an email', set: { kind: 'EMAIL', value: 'abc' } },
        { field: 'value', why: 'a blank messaging id', set: { kind: 'MESSAGING_ID', value: '  ' } },
      ],
    },
    {
      mutation: 'createInbox',
      document: loose(CreateInboxDocument),
      inputClass: CreateInboxInput,
      valid: () => ({ name: `Inbox ${unique()}`, channels: ['CHAT'], isDefaultVoice: false }),
      malformed: [
        bad('name', 'empty', ''),
        bad('name', 'blank', '   '),
        bad('channels', 'empty', []),
        bad('channels', 'not a channel', ['FAX']),
      ],
    },
    {
      mutation: 'updateInbox',
      document: loose(UpdateInboxDocument),
      inputClass: UpdateInboxInput,
      valid: () => ({ inboxId: inbox.id, name: 'Support', channels: ['CHAT'] }),
      malformed: [
        bad('name', 'null (an inbox keeps a name)', null),
        bad('name', 'blank', '   '),
        bad('channels', 'null (an inbox keeps a channel)', null),
        bad('channels', 'empty', []),
      ],
    },
    {
      mutation: 'setInboxMembers',
      document: loose(SetInboxMembersDocument),
      inputClass: SetInboxMembersInput,
      valid: () => ({ inboxId: inbox.id, staffIds: [agent.staff.id] }),
      malformed: [],
    },
    {
      mutation: 'createProvider',
      document: loose(CreateProviderDocument),
      inputClass: CreateProviderInput,
      valid: () => ({
        name: `Provider ${unique()}`,
        kind: 'WHATSAPP_CLOUD',
        accountNumber: '+14155550123',
        phoneNumberId: '106540352242922',
        accessToken: 'token',
        appSecret: 'secret',
        verifyToken: 'verify',
      }),
      malformed: [
        bad('name', 'blank', '   '),
        bad('kind', 'not a kind', 'FAX'),
        bad('accountNumber', 'not a phone number', 'abc'),
        bad('apiBaseUrl', 'not a URL', 'graph facebook'),
        bad('apiBaseUrl', 'not http(s)', 'ftp://graph.facebook.com'),
        bad('authToken', "not a WhatsApp Cloud provider's", 'twilio'),
        bad('phoneNumberId', 'blank', '  '),
      ],
    },
    {
      mutation: 'updateProvider',
      document: loose(UpdateProviderDocument),
      inputClass: UpdateProviderInput,
      valid: () => ({ providerId: provider.id, name: `Provider ${unique()}` }),
      malformed: [
        bad('name', 'null (a provider keeps a name)', null),
        bad('accountNumber', 'not a phone number', 'abc'),
        bad('accountSid', "not a WhatsApp Cloud provider's", 'AC1'),
        bad('accessToken', 'null (a secret is replaced, not cleared)', null),
      ],
    },
    {
      mutation: 'deleteProvider',
      document: loose(DeleteProviderDocument),
      inputClass: DeleteProviderInput,
      valid: () => ({ providerId: spareProvider.id }),
      malformed: [],
    },
    {
      mutation: 'createCampaign',
      document: loose(CreateCampaignDocument),
      inputClass: CreateCampaignInput,
      valid: () => ({
        name: `Campaign ${unique()}`,
        // Its number already serves `campaign`: a second campaign on it starts disabled.
        providerId: provider.id,
        enabled: false,
        maxInteractionsPerAgent: 2,
        serviceLevelSeconds: 20,
        abandonAfterSeconds: 300,
        memberIds: [agent.staff.id],
        cannedResponses: [{ title: 'Hi', body: 'Hello!' }],
      }),
      malformed: [
        bad('name', 'blank', '   '),
        bad('maxInteractionsPerAgent', 'zero', 0),
        bad('serviceLevelSeconds', 'negative', -5),
        bad('abandonAfterSeconds', 'over a week', 8 * 24 * 3600),
        {
          field: 'memberIds',
          why: 'an ADMIN, not an agent (C17)',
          get set() {
            return { memberIds: [org.admin.staff.id] };
          },
        },
        {
          field: 'cannedResponses.0.templateLanguage',
          why: 'a template without its language',
          set: { cannedResponses: [{ title: 'T', body: 'b', templateName: 'order_ready' }] },
        },
        {
          field: 'cannedResponses.0.title',
          why: 'a canned response without a title',
          set: { cannedResponses: [{ title: '', body: 'b' }] },
        },
      ],
    },
    {
      mutation: 'updateCampaign',
      document: loose(UpdateCampaignDocument),
      inputClass: UpdateCampaignInput,
      valid: () => ({
        campaignId: campaign.id,
        name: `Campaign ${unique()}`,
        cannedResponses: [{ id: cannedResponseId, title: 'Hi', body: 'Hello again!' }],
      }),
      malformed: [
        bad('name', 'null (a campaign keeps a name)', null),
        bad('enabled', 'null', null),
        bad('maxInteractionsPerAgent', 'zero', 0),
        {
          field: 'cannedResponses.0.body',
          why: 'a blank body',
          set: { cannedResponses: [{ title: 'T', body: '   ' }] },
        },
      ],
    },
    {
      mutation: 'setCampaignMembers',
      document: loose(SetCampaignMembersDocument),
      inputClass: SetCampaignMembersInput,
      valid: () => ({ campaignId: campaign.id, staffIds: [agent.staff.id] }),
      malformed: [
        {
          field: 'staffIds',
          why: 'an ADMIN, not an agent (C17)',
          get set() {
            return { staffIds: [org.admin.staff.id] };
          },
        },
      ],
    },
    {
      mutation: 'takeInteraction',
      document: loose(TakeInteractionDocument),
      inputClass: TakeInteractionInput,
      caller: () => agentWindow.api,
      oneOf: true,
      valid: () => ({ campaignId: campaign.id }),
      validUsing: (field) =>
        field === 'conversationId'
          ? { conversationId: campaignConversationId }
          : { campaignId: campaign.id },
      malformed: [
        {
          field: 'campaignId',
          why: 'both a campaign and a conversation',
          get set() {
            return { conversationId: campaignConversationId };
          },
        },
      ],
    },
    {
      mutation: 'startOutgoingInteraction',
      document: loose(StartOutgoingInteractionDocument),
      inputClass: StartOutgoingInteractionInput,
      caller: () => agentWindow.api,
      valid: () => ({
        campaignId: campaign.id,
        to: '+14155550177',
        cannedResponseId: templateResponseId,
        subject: 'Your order',
      }),
      malformed: [
        bad('to', 'not a phone number', 'call me'),
        bad('to', 'empty', ''),
        bad('body', 'beside a canned response', 'Hello'),
      ],
    },
    {
      mutation: 'retryMessage',
      document: loose(RetryMessageDocument),
      inputClass: RetryMessageInput,
      valid: () => ({ messageId: failedMessageId }),
      malformed: [],
    },
    {
      mutation: 'abandonInteraction',
      document: loose(AbandonInteractionDocument),
      inputClass: AbandonInteractionInput,
      caller: () => integration,
      valid: () => ({ conversationId: abandonedConversationId }),
      malformed: [],
    },
    {
      mutation: 'createStaff',
      document: loose(CreateStaffDocument),
      inputClass: CreateStaffInput,
      valid: () => ({
        name: `Staff ${unique()}`,
        email: `staff-${unique()}@example.com`,
        password: PASSWORD,
        role: 'AGENT',
        defaultInboxId: inbox.id,
      }),
      malformed: [
        bad('name', 'empty', ''),
        bad('name', 'blank', '   '),
        bad('email', 'not an email', 'nope'),
        bad('password', 'too short', 'short'),
        bad('role', 'not a role', 'BOSS'),
        bad('role', 'INTEGRATION, which is for API keys', 'INTEGRATION'),
      ],
    },
    {
      mutation: 'updateStaff',
      document: loose(UpdateStaffDocument),
      inputClass: UpdateStaffInput,
      valid: () => ({
        staffId: agent.staff.id,
        name: 'Agent',
        email: agent.staff.email,
        password: PASSWORD,
        role: 'AGENT',
        defaultInboxId: inbox.id,
      }),
      malformed: [
        bad('name', 'null (staff keep a name)', null),
        bad('name', 'blank', '   '),
        bad('email', 'not an email', 'nope'),
        bad('email', 'null (staff sign in with it)', null),
        bad('password', 'too short', 'short'),
        bad('password', 'null', null),
        bad('role', 'not a role', 'BOSS'),
        bad('role', 'null', null),
        bad('role', 'INTEGRATION, which is for API keys', 'INTEGRATION'),
      ],
    },
    {
      mutation: 'deactivateStaff',
      document: loose(DeactivateStaffDocument),
      inputClass: DeactivateStaffInput,
      valid: () => ({ staffId: agent.staff.id }),
      malformed: [],
    },
    // Supervision (C11–C14)
    {
      mutation: 'pauseAgent',
      document: loose(PauseAgentDocument),
      inputClass: PauseAgentInput,
      valid: () => ({ agentId: otherAgent.staff.id, reason: 'Coaching' }),
      malformed: [bad('reason', 'blank', '   ')],
    },
    {
      mutation: 'resumeAgent',
      document: loose(ResumeAgentDocument),
      inputClass: AgentInput,
      valid: () => ({ agentId: otherAgent.staff.id }),
      malformed: [],
    },
    {
      mutation: 'sendAgentChat',
      document: loose(SendAgentChatDocument),
      inputClass: SendAgentChatInput,
      valid: () => ({ toStaffId: otherAgent.staff.id, body: 'How is it going?' }),
      malformed: [],
    },
    {
      mutation: 'markAgentChatRead',
      document: loose(MarkAgentChatReadDocument),
      inputClass: MarkAgentChatReadInput,
      valid: () => ({ staffId: otherAgent.staff.id }),
      malformed: [],
    },
    {
      mutation: 'disconnectAgent',
      document: loose(DisconnectAgentDocument),
      inputClass: AgentInput,
      valid: () => ({ agentId: otherAgent.staff.id }),
      malformed: [],
    },
    {
      mutation: 'setMyStatus',
      document: loose(SetMyStatusDocument),
      inputClass: SetMyStatusInput,
      valid: () => ({ status: 'ONLINE' }),
      malformed: [bad('status', 'not a status', 'BUSY'), bad('status', 'null', null)],
    },
    // Assisted service
    {
      mutation: 'startAssisting',
      document: loose(StartAssistingDocument),
      inputClass: StartAssistingInput,
      valid: () => ({
        customerId: customer.id,
        channel: 'VOICE',
        service: 'Council tax',
        reason: 'Moving house',
      }),
      malformed: [bad('channel', 'not a channel', 'FAX'), bad('service', 'blank', '   ')],
    },
    {
      mutation: 'endAssisting',
      document: loose(EndAssistingDocument),
      inputClass: EndAssistingInput,
      valid: () => ({ outcome: 'RESOLVED', notes: 'Sorted' }),
      malformed: [
        bad('outcome', 'not an outcome', 'WHATEVER'),
        bad('outcome', 'an outcome Tandem sets', 'TIMED_OUT'),
      ],
    },
    {
      mutation: 'submitRequest',
      document: loose(SubmitRequestDocument),
      inputClass: SubmitRequestInput,
      valid: () => ({ customerId: customer.id, service: 'Bulky waste', form: { items: 2 } }),
      malformed: [bad('form', 'not an object', 'a sofa'), bad('service', 'blank', ' ')],
    },
    ...(
      [
        ['saveForm', SaveFormDocument],
        ['submitForm', SubmitFormDocument],
      ] as const
    ).map(([mutation, document]): MutationCase => ({
      mutation,
      document: loose(document as typeof SaveFormDocument),
      inputClass: FormInput,
      valid: () => ({
        customerId: customer.id,
        service: 'Parking permit',
        form: { plate: 'AB12' },
      }),
      malformed: [bad('form', 'a list, not an object', ['AB12']), bad('service', 'empty', '')],
    })),
    {
      mutation: 'startWorkflow',
      document: loose(StartWorkflowDocument),
      inputClass: StartWorkflowInput,
      valid: () => ({ customerId: customer.id, service: 'Change of address', data: { to: 'x' } }),
      malformed: [bad('data', 'not an object', 42)],
    },
    {
      mutation: 'updateCustomerProfile',
      document: loose(UpdateCustomerProfileDocument),
      inputClass: UpdateCustomerProfileInput,
      valid: () => ({
        customerId: customer.id,
        name: 'Ann',
        email: 'ann@example.com',
        phone: '+14155550100',
        postalAddress: '3 Main St',
      }),
      malformed: [
        bad('name', 'null (a customer keeps a name)', null),
        bad('email', 'not an email', 'nope'),
        bad('phone', 'not a phone number', 'abc'),
      ],
    },
    {
      mutation: 'registerCustomer',
      document: loose(RegisterCustomerDocument),
      inputClass: RegisterCustomerInput,
      valid: () => ({
        name: `Caller ${unique()}`,
        username: `caller-${unique()}`,
        email: `${unique()}@example.com`,
        phone: '+14155550133',
        postalAddress: '4 Main St',
      }),
      malformed: [
        bad('name', 'blank', '   '),
        bad('email', 'not an email', 'not-an-email'),
        bad('phone', 'not a phone number', 'call me maybe'),
      ],
      // Registering binds the assist session of a caller who is not a customer yet.
      prepare: () =>
        server.services.assist.start(org.admin.auth, {
          channel: Channel.VOICE,
          service: 'New caller',
        }),
    },
    {
      mutation: 'updateOrganization',
      document: loose(UpdateOrganizationDocument),
      inputClass: UpdateOrganizationInput,
      valid: () => ({ timeZone: 'Europe/Paris' }),
      malformed: [
        bad('timeZone', 'not a time zone', 'Mars/Olympus_Mons'),
        bad('timeZone', 'an offset, not a zone', '+03:00'),
      ],
    },
  ];
  /** Mutations without an input, so with nothing to get wrong. */
  const withoutInput = ['signOut', 'leaveInbox', 'heartbeat'];

  /**
   * Mutations that take ids, with the paths of those ids in their input. Not signIn: credentials
   * that fit no account are UNAUTHENTICATED, whatever organization they name (pinned below).
   */
  const withIds = cases
    .filter((c) => c.mutation !== 'signIn')
    .map((c) => {
      const prefix = `${c.mutation} input.`;
      const paths = idArgumentsOf(schema, 'Mutation')
        .filter((argument) => argument.startsWith(prefix))
        .map((argument) => argument.slice(prefix.length));
      return [c.mutation, paths] as const;
    })
    .filter(([, paths]) => paths.length > 0);

  const caseOf = (mutation: string) => cases.find((c) => c.mutation === mutation) as MutationCase;

  /** Sends the mutation as the ADMIN; returns its first error (fails when it succeeded). */
  async function refusal(c: MutationCase, input: Input): Promise<GraphQLErrorShape> {
    const client = c.mutation === 'signIn' ? org.anonymous : (c.caller?.() ?? org.admin.api);
    return client.fails(c.document, { input });
  }

  /** Runs `act` and checks that the database is exactly as before. */
  async function expectNothingWritten<T>(act: () => Promise<T>): Promise<T> {
    const before = await fingerprintDatabase(server.dataSource);
    const result = await act();
    expect(await fingerprintDatabase(server.dataSource)).toEqual(before);
    return result;
  }

  function maxLengthsOf(inputClass: Function): Array<{ property: string; max: number }> {
    return getMetadataStorage()
      .getTargetValidationMetadatas(inputClass, '', true, false)
      .filter((metadata) => metadata.name === 'maxLength')
      .map((metadata) => ({
        property: metadata.propertyName,
        max: metadata.constraints[0] as number,
      }));
  }

  describe('the tables cover the schema', () => {
    it('reads the schema the server runs', async () => {
      expect(printSchema(schema)).toBe(printSchema(await getSchema()));
    });

    it('has a case for every mutation, with the class of its input', () => {
      expect([...cases.map((c) => c.mutation), ...withoutInput].sort()).toEqual(
        operationsOf(schema, 'Mutation').sort(),
      );
      for (const c of cases) expect(c.inputClass.name).toBe(inputTypeOf(schema, c.mutation)?.name);
    });

    it('bounds every string field of every mutation input with @MaxLength', () => {
      const strings = cases.flatMap((c) =>
        Object.values(inputTypeOf(schema, c.mutation)?.getFields() ?? {})
          .filter((field) => getNamedType(field.type).name === GraphQLString.name)
          .map((field) => ({ c, field: field.name })),
      );
      expect(strings.length).toBeGreaterThan(20); // the check covers real fields, not nothing
      const unbounded = strings
        .filter(({ c, field }) => !maxLengthsOf(c.inputClass).some((m) => m.property === field))
        .map(({ c, field }) => `${c.mutation} ${field}`);
      expect(unbounded).toEqual([]);
    });
  });

  describe('a missing required field', () => {
    it.each(cases.map((c) => [c.mutation] as const))(
      '%s: every required field left out is refused before anything runs',
      async (mutation) => {
        const c = caseOf(mutation);
        const required = requiredInputFieldsOf(schema, mutation);
        if (c.oneOf) {
          expect(required).toEqual([]);
          const error = await expectNothingWritten(() => refusal(c, {}));
          expect(error.extensions?.code).toBe('BAD_USER_INPUT');
          return;
        }
        expect(required.length).toBeGreaterThan(0);
        for (const field of required) {
          const { [field]: _omitted, ...input } = c.valid();
          const error = await expectNothingWritten(() => refusal(c, input));
          expect([field, error.extensions?.code]).toEqual([
            field,
            expect.stringMatching(/^(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/),
          ]);
          if (error.extensions?.code === 'BAD_USER_INPUT') {
            expect(error.extensions.field).toBe(field);
          }
        }
      },
    );

    it('is refused with GRAPHQL_VALIDATION_FAILED when written in the query itself', async () => {
      const error = await expectNothingWritten(() =>
        org.admin.api.fails(
          'mutation { createStaff(input: { name: "No email" }) { staff { id } } }',
        ),
      );
      expect(error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(error.message).toMatch(/email/);
    });
  });

  describe('a malformed value is BAD_USER_INPUT naming the field', () => {
    const malformed = cases.flatMap((c) =>
      c.malformed.map((m) => [c.mutation, m.field, m.why, m] as const),
    );
    it.each(malformed)('%s %s: %s', async (mutation, field, _why, m) => {
      const c = caseOf(mutation);
      const error = await expectNothingWritten(() => refusal(c, { ...c.valid(), ...m.set }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });

    it.each(withIds)('%s: an id that is not a UUID, in each id field', async (mutation, paths) => {
      const c = caseOf(mutation);
      for (const path of paths) {
        const [input, field] = withIdAt(c.valid(), path, 'not-a-uuid');
        const error = await expectNothingWritten(() => refusal(c, input));
        expect([path, error.extensions]).toEqual([
          path,
          expect.objectContaining({ code: 'BAD_USER_INPUT', field }),
        ]);
      }
    });
  });

  describe('a string over its @MaxLength is BAD_USER_INPUT naming the field', () => {
    /** Too long, and otherwise well-formed, so that only the length is wrong. */
    function tooLong(property: string, max: number): string {
      if (property === 'email') return `${'a'.repeat(max)}@example.com`;
      if (property === 'phone') return `+1${'4'.repeat(max)}`;
      return 'x'.repeat(max + 1);
    }

    const oversized = cases.flatMap((c) =>
      maxLengthsOf(c.inputClass).map(({ property, max }) => [c.mutation, property, max] as const),
    );
    it.each(oversized)('%s %s: %i characters at most', async (mutation, property, max) => {
      const c = caseOf(mutation);
      const error = await expectNothingWritten(() =>
        refusal(c, { ...c.valid(), [property]: tooLong(property, max) }),
      );
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: property });
      expect(error.extensions?.problems).toContainEqual({
        field: property,
        message: `${property} must be shorter than or equal to ${max} characters`,
      });
    });

    it('bounds the customers filter too', async () => {
      const result = await org.admin.api.request(CustomersDocument, {
        filter: { query: 'x'.repeat(201) },
      });
      expect(result.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'filter.query',
      });
    });

    it('bounds and checks the recordings filter too (C15)', async () => {
      const refusal = async (filter: Record<string, unknown>) =>
        (await org.admin.api.request(InteractionRecordsDocument, { filter })).errors?.[0]
          ?.extensions;
      expect(await refusal({ subject: 'x'.repeat(201) })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'filter.subject',
      });
      expect(await refusal({ number: '+1'.padEnd(65, '4') })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'filter.number',
      });
      expect(await refusal({ number: 'not a number' })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'filter.number',
      });
      expect(
        await refusal({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' }),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.to' });
      expect(await refusal({ campaignId: 'not-a-uuid' })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'filter.campaignId',
      });
    });
  });

  describe('an id that matches nothing is NOT_FOUND', () => {
    it('signIn: an unknown organization is the same wrong email or password', async () => {
      const c = caseOf('signIn');
      // (A failed sign-in is counted: the one write a refusal makes, so no expectNothingWritten.)
      const named = await refusal(c, {
        ...c.valid(),
        password: 'not the password',
        organizationId: randomUUID(),
      });
      const unknown = await refusal(c, { ...c.valid(), organizationId: randomUUID() });
      expect(unknown).toEqual(named);
      expect(unknown.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    });

    it.each(withIds)('%s: a random UUID in each id field', async (mutation, paths) => {
      const c = caseOf(mutation);
      for (const path of paths) {
        const unknown = randomUUID();
        const [input] = withIdAt(c.validUsing?.(path) ?? c.valid(), path, unknown);
        const error = await expectNothingWritten(() => refusal(c, input));
        expect([path, error.extensions]).toEqual([
          path,
          expect.objectContaining({ code: 'NOT_FOUND', id: unknown }),
        ]);
      }
    });
  });

  describe('lists', () => {
    type Page = { first?: number; after?: string };
    const lists: Array<[string, (page: Page) => Promise<GraphQLErrorShape | undefined>]> = [
      [
        'customers',
        async (page) => (await org.admin.api.request(CustomersDocument, page)).errors?.[0],
      ],
      [
        'conversations',
        async (page) => (await org.admin.api.request(ConversationsDocument, page)).errors?.[0],
      ],
      ['inboxes', async (page) => (await org.admin.api.request(InboxesDocument, page)).errors?.[0]],
      [
        'staffMembers',
        async (page) => (await org.admin.api.request(StaffMembersDocument, page)).errors?.[0],
      ],
      [
        'searchCustomers',
        async (page) =>
          (await org.admin.api.request(SearchCustomersDocument, { query: 'ann', ...page }))
            .errors?.[0],
      ],
      [
        'serviceRequests',
        async (page) => (await org.admin.api.request(ServiceRequestsDocument, page)).errors?.[0],
      ],
      [
        'auditEvents',
        async (page) => (await org.admin.api.request(AuditEventsDocument, page)).errors?.[0],
      ],
      [
        'Customer.conversations',
        async (page) =>
          (
            await org.admin.api.request(BadInputCustomerConversationsDocument, {
              id: customer.id,
              ...page,
            })
          ).errors?.[0],
      ],
      [
        'interactionRecords',
        async (page) => (await org.admin.api.request(InteractionRecordsDocument, page)).errors?.[0],
      ],
      [
        'Contact.history',
        async (page) =>
          (
            await org.admin.api.request(BadInputContactHistoryDocument, {
              id: customer.id,
              ...page,
            })
          ).errors?.[0],
      ],
      [
        'Conversation.messages',
        async (page) =>
          (
            await org.admin.api.request(BadInputConversationMessagesDocument, {
              id: conversation.id,
              ...page,
            })
          ).errors?.[0],
      ],
    ];

    it.each(lists)(
      '%s: a page of 101 is BAD_USER_INPUT, and so are 0 and -1',
      async (_list, page) => {
        for (const first of [101, 0, -1]) {
          expect(await page({ first })).toMatchObject({
            extensions: { code: 'BAD_USER_INPUT', field: 'first' },
          });
        }
        expect(await page({ first: 100 })).toBeUndefined();
      },
    );

    const id = randomUUID();
    const base64url = (text: string) => Buffer.from(text).toString('base64url');
    /** Cursors no list handed out; the last two only for lists ordered by time or position. */
    const cursors: Array<[string, string, 'any list' | 'not by name']> = [
      ['not base64', '!!not a cursor!!', 'any list'],
      ['not JSON', base64url('{{{'), 'any list'],
      ['not a list', base64url('{"name":"x"}'), 'any list'],
      ['no id', encodeCursor(['x']), 'any list'],
      ['an id that is not a UUID', encodeCursor(['2026-01-01T00:00:00.000Z', 'x']), 'any list'],
      ['a value that is no time nor name', encodeCursor([{ x: 1 } as never, id]), 'any list'],
      ['a NUL character', encodeCursor(['a\u0000b', id]), 'any list'],
      ['one value too many', encodeCursor(['x', id, 'x']), 'any list'],
      ['a time that does not exist', encodeCursor(['2026-02-30T00:00:00.000Z', id]), 'not by name'],
      ['a word where a time or number goes', encodeCursor(['yesterday', id]), 'not by name'],
    ];

    it.each(lists)('%s: a malformed after cursor is BAD_USER_INPUT', async (list, page) => {
      const byName = ['customers', 'inboxes', 'staffMembers'].includes(list);
      for (const [why, after, applies] of cursors) {
        if (byName && applies === 'not by name') continue;
        expect([why, await page({ after })]).toEqual([
          why,
          expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }),
        ]);
      }
    });

    it('accepts the cursors it hands out', async () => {
      await newCustomer(org);
      const first = await org.admin.api.ok(CustomersDocument, { first: 1 });
      const after = first.customers.pageInfo.endCursor as string;
      const second = await org.admin.api.ok(CustomersDocument, { first: 1, after });
      expect(second.customers.edges[0]?.node.id).not.toBe(first.customers.edges[0]?.node.id);
    });
  });

  it('refuses a request body over the limit with 413, and writes nothing', async () => {
    const body = JSON.stringify({
      query:
        'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
      variables: { input: { name: 'Huge', postalAddress: 'x'.repeat(server.config.maxBodyBytes) } },
    });
    const response = await expectNothingWritten(() =>
      fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${org.admin.token}`,
        },
        body,
      }),
    );
    expect(response.status).toBe(413);
    const answer = await response.json();
    expect(answer).toEqual({
      errors: [{ message: 'The request body is too large', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('answers malformed JSON with 400 and a GraphQL error, never a stack trace', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.admin.token}` },
      body: '{"query": "{ me { id } }"',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      errors: [
        { message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
    expect(text).not.toMatch(/at |node_modules|\/src\//);
  });

  it('refuses text with a NUL character as BAD_USER_INPUT, and writes nothing', async () => {
    const error = await expectNothingWritten(() =>
      org.admin.api.fails(
        'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }',
        { input: { name: 'Nul', postalAddress: 'a\u0000b' } },
      ),
    );
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  });

  describe('a clash with an existing row is CONFLICT, and nothing is written', () => {
    const conflicts: Array<[string, string, string, () => Input]> = [
      [
        'createStaff',
        'email',
        'the email of another staff member, in other letters',
        () => ({ ...caseOf('createStaff').valid(), email: agent.staff.email.toUpperCase() }),
      ],
      [
        'updateStaff',
        'email',
        'the email of another staff member',
        () => ({ staffId: otherAgent.staff.id, email: agent.staff.email }),
      ],
      ['createInbox', 'name', 'the name of another inbox', () => ({ name: 'Support' })],
      [
        'createProvider',
        'name',
        'the name of another provider',
        () => ({ ...caseOf('createProvider').valid(), name: provider.name }),
      ],
      [
        'createCampaign',
        'name',
        'the name of another campaign',
        () => ({ ...caseOf('createCampaign').valid(), name: campaign.name }),
      ],
      [
        'createCampaign',
        'providerId',
        'enabled on a number that serves another enabled campaign',
        () => ({ ...caseOf('createCampaign').valid(), enabled: true }),
      ],
      [
        'updateInbox',
        'name',
        'the name of another inbox',
        () => ({ inboxId: inbox.id, name: 'General' }),
      ],
      [
        'createCustomer',
        'phone',
        'the phone number of another customer, written differently',
        () => ({ name: 'Copycat', phone: '+1 (415) 555-0199' }),
      ],
      [
        'createCustomer',
        'email',
        'the email of another customer',
        () => ({ name: 'Copycat', email: 'BOB@example.com' }),
      ],
      [
        'createCustomer',
        'username',
        'the username of another customer',
        () => ({ name: 'Copycat', username: 'bob' }),
      ],
      [
        'updateCustomer',
        'phone',
        'the phone number of another customer',
        () => ({ customerId: customer.id, name: 'Ann renamed', phone: '+14155550199' }),
      ],
      [
        'addContact',
        'value',
        'the phone number of another customer',
        () => ({ customerId: customer.id, kind: 'PHONE', value: '+14155550199' }),
      ],
    ];

    it.each(conflicts)('%s %s: %s', async (mutation, field, _why, input) => {
      const error = await expectNothingWritten(() => refusal(caseOf(mutation), input()));
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field });
    });

    it('keeps both customers as they were', async () => {
      const rows = (await server.dataSource.query(
        `SELECT customer_id, kind, value FROM contact WHERE customer_id IN ($1, $2) ORDER BY value`,
        [customer.id, otherCustomer.id],
      )) as Array<{ customer_id: string; kind: ContactKind; value: string }>;
      expect(rows).toEqual([
        { customer_id: customer.id, kind: ContactKind.PHONE, value: '+14155550100' },
        { customer_id: otherCustomer.id, kind: ContactKind.PHONE, value: '+14155550199' },
        { customer_id: customer.id, kind: ContactKind.EMAIL, value: 'ann@example.com' },
        { customer_id: otherCustomer.id, kind: ContactKind.EMAIL, value: 'bob@example.com' },
      ]);
    });
  });

  describe('issue 13: every input error is a client error, and nothing is written', () => {
    const surrogate = '\ud800x';

    it.each([
      ['signIn', 'email', () => ({ email: `${surrogate}@example.com`, password: PASSWORD })],
      ['createStaff', 'email', () => ({ ...caseOf('createStaff').valid(), email: surrogate })],
      ['updateStaff', 'email', () => ({ staffId: agent.staff.id, email: surrogate })],
      ['createStaff', 'name', () => ({ ...caseOf('createStaff').valid(), name: `Zo${surrogate}` })],
      ['createCustomer', 'postalAddress', () => ({ name: 'Ann', postalAddress: `x\udc00` })],
    ])(
      'finding 5: a lone surrogate in %s %s is BAD_USER_INPUT naming the field',
      async (mutation, field, input) => {
        const client = mutation === 'signIn' ? org.anonymous : org.admin.api;
        const error = await expectNothingWritten(async () => {
          const result = await client.request(caseOf(mutation).document, { input: input() });
          return result.errors?.[0] as GraphQLErrorShape;
        });
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      },
    );

    it.each([
      ['startConversation', 'subject'],
      ['startConversation', 'body'],
      ['postCustomerMessage', 'body'],
      ['sendMessage', 'body'],
    ])(
      'finding 14: a lone surrogate or a NUL in %s %s is BAD_USER_INPUT, nothing stored',
      async (mutation, field) => {
        for (const text of [`Hi ${surrogate}`, 'Hi \u0000']) {
          const c = caseOf(mutation);
          const error = await expectNothingWritten(() =>
            refusal(c, { ...c.valid(), [field]: text }),
          );
          expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
        }
      },
    );

    it('finding 15: more than 50 invalid list items are one BAD_USER_INPUT', async () => {
      const staffIds = Array.from({ length: 60 }, () => ({ not: 'an id' }));
      const result = await expectNothingWritten(() =>
        org.admin.api.request(caseOf('setInboxMembers').document, {
          input: { inboxId: inbox.id, staffIds },
        }),
      );
      expect(result.errors?.length).toBeGreaterThan(0);
      for (const error of result.errors ?? []) {
        expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });

    const yearZero = encodeCursor(['0000-01-01T00:00:00.000Z', randomUUID()]);
    it.each([
      ['conversations', () => `{ conversations(first: 5, after: "${yearZero}") { totalCount } }`],
      ['myCustomers', () => `{ myCustomers(first: 5, after: "${yearZero}") { totalCount } }`],
      [
        'Staff.helping',
        () =>
          `{ staff(id: "${agent.staff.id}") { helping(first: 5, after: "${yearZero}") { totalCount } } }`,
      ],
      [
        'Customer.helperHistory',
        () =>
          `{ customer(id: "${customer.id}") { helperHistory(first: 5, after: "${yearZero}") { totalCount } } }`,
      ],
    ])(
      'finding 16: a forged cursor of year 0000 in %s is BAD_USER_INPUT naming after',
      async (_list, query) => {
        const error = await org.admin.api.fails(query());
        expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
      },
    );

    it('finding 13: a persisted query whose hash does not match is a 400 with a client code', async () => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.admin.token}` },
        body: JSON.stringify({
          query: '{ __typename }',
          extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
        }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: GraphQLErrorShape[] };
      expect(body.errors[0]?.extensions?.code).toBe('BAD_REQUEST');
    });

    it("finding 17: createStaff never tells an organization that another one's staff has an email", async () => {
      const other = await newOrg(server);
      // Unique within the organization only: the address taken elsewhere is simply accepted here.
      const { createStaff } = await org.admin.api.ok(CreateStaffDocument, {
        input: {
          name: 'Namesake',
          email: other.admin.staff.email,
          password: PASSWORD,
          role: 'AGENT',
        },
      });
      expect(createStaff.staff.email).toBe(other.admin.staff.email);
      const here = await expectNothingWritten(() =>
        refusal(caseOf('createStaff'), {
          ...caseOf('createStaff').valid(),
          email: agent.staff.email,
        }),
      );
      expect(here.extensions).toEqual({ code: 'CONFLICT', field: 'email' });
    });
  });

  it('accepts every base input: the refusals above are about the one bad field', async () => {
    // Last, because these succeed and write; in an order where each still applies.
    const order = [
      'signIn',
      'createApiKey',
      'startConversation',
      'setDedicatedHero',
      'reassignToHero',
      'clearDedicatedHero',
      'addHelper',
      'endHelper',
      'enterInbox',
      'openTicket',
      'releaseTicket',
      'forceReleaseTicket',
      'assignConversation',
      'postCustomerMessage',
      'sendMessage',
      'closeConversation',
      'archiveConversation',
      'deleteConversation',
      'createCustomer',
      'updateCustomer',
      'addContact',
      'startAssisting',
      'submitRequest',
      'saveForm',
      'submitForm',
      'startWorkflow',
      'updateCustomerProfile',
      'endAssisting',
      'registerCustomer',
      'updateOrganization',
      'createInbox',
      'updateInbox',
      'setInboxMembers',
      'createProvider',
      'updateProvider',
      'retryMessage',
      'startOutgoingInteraction',
      'createCampaign',
      'updateCampaign',
      'setCampaignMembers',
      'abandonInteraction',
      'takeInteraction',
      'deleteProvider',
      'pauseAgent',
      'resumeAgent',
      'sendAgentChat',
      'markAgentChatRead',
      'createStaff',
      'updateStaff',
      'setMyStatus',
      'disconnectAgent',
      'deactivateStaff',
      'revokeApiKey',
    ];
    expect([...order].sort()).toEqual(cases.map((c) => c.mutation).sort());
    for (const mutation of order) {
      const c = caseOf(mutation);
      const client = mutation === 'signIn' ? org.anonymous : (c.caller?.() ?? org.admin.api);
      await c.prepare?.();
      const result = await client.request(c.document, { input: c.valid() });
      expect([mutation, result.errors]).toEqual([mutation, undefined]);
    }
  });
});
