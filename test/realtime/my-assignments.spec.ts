import {
  AssignConversationDocument,
  ConversationEventsDocument,
  MyAssignmentsDocument,
  SetMyStatusDocument,
  StartConversationDocument,
} from '../generated/graphql';
import { Streams } from '../../src/subscriptions/topics';
import {
  eventually,
  newAgent,
  newCustomer,
  newDispatcher,
  newInbox,
  newOrg,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { connect, subscribe } from '../support/ws';

describe('myAssignments and routing events', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('streams to an agent what is routed to them and what is taken from them, and resumes from a cursor', async () => {
    const org = await newOrg(server);
    const inbox = await newInbox(org);
    const [agent, colleague, dispatcher] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
      newDispatcher(org),
    ]);
    await agent.api.ok(SetMyStatusDocument, { input: { status: 'ONLINE' } });
    const socket = await connect(server.wsUrl, agent.token);
    const assignments = subscribe(socket, MyAssignmentsDocument, {});
    const inboxEvents = subscribe(socket, ConversationEventsDocument, { inboxId: inbox.id });
    await eventually(
      () => server.hub.liveSubscribers(Streams.staffAssignments(org.id, agent.staff.id)) >= 1,
      5000,
      'a live assignment stream',
    );
    const customer = await newCustomer(org);
    const { startConversation } = await org.admin.api.ok(StartConversationDocument, {
      input: { customerId: customer.id, channel: 'CHAT', inboxId: inbox.id },
    });
    const assigned = (await assignments.nextData()).myAssignments;
    expect(assigned).toMatchObject({
      kind: 'ASSIGNED',
      conversation: { id: startConversation.conversation.id, routingReason: 'NEXT_AVAILABLE' },
      actor: { kind: 'STAFF' },
    });
    const kinds = [];
    for (let i = 0; i < 2; i++) kinds.push((await inboxEvents.nextData()).conversationEvents.kind);
    expect(kinds).toEqual(['CREATED', 'ROUTED']);

    await socket.dispose(); // offline while it is taken away
    await dispatcher.api.ok(AssignConversationDocument, {
      input: { conversationId: startConversation.conversation.id, staffId: colleague.staff.id },
    });
    const again = await connect(server.wsUrl, agent.token);
    const resumed = subscribe(again, MyAssignmentsDocument, { after: assigned.seq });
    expect((await resumed.nextData()).myAssignments).toMatchObject({
      kind: 'UNASSIGNED',
      seq: assigned.seq + 1,
      conversation: { id: startConversation.conversation.id, routingReason: 'MANUAL' },
    });
    await again.dispose();
  });
});
