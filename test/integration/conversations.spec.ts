import { Channel } from '../../src/entities/enums';
import {
  ArchiveConversationDocument,
  AssignConversationDocument,
  CloseConversationDocument,
  ConversationDocument,
  ConversationsDocument,
  DeleteConversationDocument,
  PostCustomerMessageDocument,
  SendMessageDocument,
  StartConversationDocument,
} from '../generated/graphql';
import {
  newAgent,
  newConversation,
  newCustomer,
  newDispatcher,
  newInbox,
  newOrg,
  newSupervisor,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

describe('conversations and messages', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it("starts a conversation with the customer's first message, in the default inbox, assigned to nobody", async () => {
    const customer = await newCustomer(org, { phone: '+14155550123' });
    const { startConversation } = await org.admin.api.ok(StartConversationDocument, {
      input: { customerId: customer.id, channel: 'SMS', body: 'Hello?', subject: 'Order 42' },
    });
    const conversation = startConversation.conversation;
    expect(conversation).toMatchObject({
      status: 'OPEN',
      channel: 'SMS',
      direction: 'INCOMING',
      subject: 'Order 42',
    });
    expect(conversation.inbox.id).toBe(org.inbox.id);
    expect(conversation.assignee).toBeNull();
    const { conversation: read } = await org.admin.api.ok(ConversationDocument, {
      id: conversation.id,
    });
    expect(read.messages.edges.map((e) => [e.node.direction, e.node.body])).toEqual([
      ['INCOMING', 'Hello?'],
    ]);
  });

  it('refuses a contact of another customer, and a channel the inbox does not take', async () => {
    const [ann, bob] = await Promise.all([
      newCustomer(org, { email: 'ann@example.com' }),
      newCustomer(org, { email: 'bob@example.com' }),
    ]);
    const [bobContact] = await server.services.customers
      .get(org.admin.auth, bob.id)
      .then(() =>
        server.dataSource.query('SELECT id FROM contact WHERE customer_id = $1', [bob.id]),
      );
    const wrongContact = await org.admin.api.fails(StartConversationDocument, {
      input: { customerId: ann.id, contactId: bobContact.id, channel: 'EMAIL' },
    });
    expect(wrongContact.extensions?.code).toBe('NOT_FOUND');
    const emailOnly = await newInbox(org, 'Email desk', [Channel.EMAIL]);
    const wrongChannel = await org.admin.api.fails(StartConversationDocument, {
      input: { customerId: ann.id, channel: 'VOICE', inboxId: emailOnly.id },
    });
    expect(wrongChannel.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'channel' });
  });

  it('records customer messages and staff replies with direction, author and delivery state', async () => {
    const agent = await newAgent(org);
    const conversation = await newConversation(org, { body: 'first' });
    const { postCustomerMessage } = await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: conversation.id, body: 'second' },
    });
    expect(postCustomerMessage.message).toMatchObject({
      direction: 'INCOMING',
      authorKind: 'CUSTOMER',
      deliveryState: 'RECEIVED',
    });
    const { sendMessage } = await agent.api.ok(SendMessageDocument, {
      input: { conversationId: conversation.id, body: 'On it' },
    });
    expect(sendMessage.message).toMatchObject({
      direction: 'OUTGOING',
      authorKind: 'STAFF',
      deliveryState: 'SENT',
    });
    expect(sendMessage.message.author?.id).toBe(agent.staff.id);
    const { conversation: read } = await org.admin.api.ok(ConversationDocument, {
      id: conversation.id,
    });
    expect(read.messages.edges.map((e) => e.node.body)).toEqual(['first', 'second', 'On it']);
    expect(read.messages.totalCount).toBe(3);
  });

  it('lets an agent assign a conversation to themselves only; a dispatcher assigns anyone', async () => {
    const [agent, other, dispatcher] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newDispatcher(org),
    ]);
    const conversation = await newConversation(org);
    const forOther = await agent.api.fails(AssignConversationDocument, {
      input: { conversationId: conversation.id, staffId: other.staff.id },
    });
    expect(forOther.extensions?.code).toBe('FORBIDDEN');
    const { assignConversation: mine } = await agent.api.ok(AssignConversationDocument, {
      input: { conversationId: conversation.id, staffId: agent.staff.id },
    });
    expect(mine.conversation).toMatchObject({
      assignee: { id: agent.staff.id },
      routingReason: 'MANUAL',
    });
    const { assignConversation: theirs } = await dispatcher.api.ok(AssignConversationDocument, {
      input: { conversationId: conversation.id, staffId: other.staff.id },
    });
    expect(theirs.conversation.assignee?.id).toBe(other.staff.id);
  });

  it('closes, reopens on a customer message, archives, and refuses replies to closed conversations', async () => {
    const agent = await newAgent(org);
    const conversation = await newConversation(org);
    const { closeConversation } = await agent.api.ok(CloseConversationDocument, {
      input: { conversationId: conversation.id },
    });
    expect(closeConversation.conversation.status).toBe('CLOSED');
    expect(closeConversation.conversation.closedAt).not.toBeNull();
    const reply = await agent.api.fails(SendMessageDocument, {
      input: { conversationId: conversation.id, body: 'hi' },
    });
    expect(reply.extensions?.code).toBe('CONFLICT');

    await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: conversation.id, body: 'still there?' },
    });
    const { conversation: reopened } = await agent.api.ok(ConversationDocument, {
      id: conversation.id,
    });
    expect(reopened.status).toBe('OPEN');

    const { archiveConversation } = await agent.api.ok(ArchiveConversationDocument, {
      input: { conversationId: conversation.id },
    });
    expect(archiveConversation.conversation.status).toBe('ARCHIVED');
    const late = await org.admin.api.fails(PostCustomerMessageDocument, {
      input: { conversationId: conversation.id, body: 'hello?' },
    });
    expect(late.extensions?.code).toBe('CONFLICT');
  });

  it('deletes (supervisors only): the conversation is NOT_FOUND from then on', async () => {
    const [agent, supervisor] = await Promise.all([newAgent(org), newSupervisor(org)]);
    const conversation = await newConversation(org);
    const refused = await agent.api.fails(DeleteConversationDocument, {
      input: { conversationId: conversation.id },
    });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    await supervisor.api.ok(DeleteConversationDocument, {
      input: { conversationId: conversation.id },
    });
    const gone = await supervisor.api.fails(ConversationDocument, { id: conversation.id });
    expect(gone.extensions?.code).toBe('NOT_FOUND');
    const [row] = await server.dataSource.query(
      'SELECT deleted_at FROM conversation WHERE id = $1',
      [conversation.id],
    );
    expect(row.deleted_at).not.toBeNull();
  });

  it('shows an agent only the conversations of their inboxes and their own', async () => {
    const sales = await newInbox(org, 'Sales');
    const [insider, outsider] = await Promise.all([
      newAgent(org, { inboxes: [sales] }),
      newAgent(org, { inboxes: [] }),
    ]);
    const inSales = await newConversation(org, { inbox: sales });
    const seen = await insider.api.ok(ConversationsDocument, {
      filter: { inboxId: sales.id },
      first: 50,
    });
    expect(seen.conversations.edges.map((e) => e.node.id)).toContain(inSales.id);
    const hidden = await outsider.api.fails(ConversationDocument, { id: inSales.id });
    expect(hidden.extensions?.code).toBe('NOT_FOUND');
    const none = await outsider.api.ok(ConversationsDocument, {
      filter: { inboxId: sales.id },
      first: 50,
    });
    expect(none.conversations.totalCount).toBe(0);

    await server.services.conversations.assign(org.admin.auth, inSales.id, outsider.staff.id);
    const { conversation: assigned } = await outsider.api.ok(ConversationDocument, {
      id: inSales.id,
    });
    expect(assigned.assignee?.id).toBe(outsider.staff.id);
  });

  it('pages conversations newest first with cursors, without gaps or repeats', async () => {
    const inbox = await newInbox(org);
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await newConversation(org, { inbox }));
    const seen: string[] = [];
    let after: string | null | undefined;
    do {
      const { conversations } = await org.admin.api.ok(ConversationsDocument, {
        first: 3,
        after,
        filter: { inboxId: inbox.id },
      });
      expect(conversations.totalCount).toBe(7);
      seen.push(...conversations.edges.map((e) => e.node.id));
      after = conversations.pageInfo.hasNextPage ? conversations.pageInfo.endCursor : null;
    } while (after);
    const { conversations: all } = await org.admin.api.ok(ConversationsDocument, {
      first: 50,
      filter: { inboxId: inbox.id },
    });
    expect(seen).toEqual(all.edges.map((e) => e.node.id));
    expect(new Set(seen)).toEqual(new Set(created.map((c) => c.id)));
  });
});
