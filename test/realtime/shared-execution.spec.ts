import { OpenTicketDocument } from '../generated/graphql';
import { statementCounter } from '../../src/db/data-source';
import {
  newAgent,
  newConversation,
  newCustomer,
  newInbox,
  newOrg,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { openWindow, watchLocks, type LockWatch } from '../support/windows';
import { connect, Subscription } from '../support/ws';

/** One cohort: every watcher sends this very document (it resolves the actor's staff row). */
const EVENTS_WITH_STAFF = `subscription ($inboxId: ID!) {
  ticketLockEvents(inboxId: $inboxId) { seq kind actor { name staff { id name email } } lock { token } }
}`;

describe('subscription events are executed once per cohort of identical subscriptions', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  type LockEvent = { ticketLockEvents: { kind: string; actor: { staff: { id: string } } } };

  /** The statements one lock event costs, from the mutation to its arrival at every watcher. */
  async function statementsForOneEvent(
    watchers: number,
    document = EVENTS_WITH_STAFF,
  ): Promise<{ statements: number; events: LockEvent[]; actorId: string }> {
    const inbox = await newInbox(org);
    const agents = await Promise.all([1, 2, 3].map(() => newAgent(org, { inboxes: [inbox] })));
    const subscriptions: Subscription<LockEvent>[] = [];
    for (let i = 0; i < watchers; i++) {
      const socket = await connect(server.wsUrl, agents[i % agents.length]!.token);
      const subscription = new Subscription<LockEvent>(socket.client, document, {
        inboxId: inbox.id,
      });
      await subscription.nextData(); // SNAPSHOT: live from here
      subscriptions.push(subscription);
    }
    const worker = await openWindow(server, agents[0]!);
    const ticket = await newConversation(org, { inbox });
    const counter = statementCounter(server.dataSource);
    const before = counter.count;
    await worker.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    const events: LockEvent[] = [];
    for (const subscription of subscriptions) {
      const event = await subscription.nextData();
      expect(event.ticketLockEvents.kind).toBe('LOCKED');
      events.push(event);
    }
    return { statements: counter.count - before, events, actorId: agents[0]!.staff.id };
  }

  it('resolves the actor of a lock event with the same statements for 25 watchers as for 2', async () => {
    const few = (await statementsForOneEvent(2)).statements;
    const many = (await statementsForOneEvent(25)).statements;
    expect(many).toBe(few);
    // authentication, the lock statement, numbering its event once it has committed, the actor's
    // staff row (once for every watcher)
    expect(many).toBeLessThanOrEqual(4);
  });

  it('answers who acted by id from the event itself: `actor { staff { id } }` reads no staff row', async () => {
    // What a console's lock subscription selects (test/operations/locks.graphql).
    const byId = `subscription ($inboxId: ID!) {
      ticketLockEvents(inboxId: $inboxId) { seq kind actor { kind name staff { id } } lock { token } }
    }`;
    const { statements, events, actorId } = await statementsForOneEvent(5, byId);
    // authentication, the lock statement, numbering its event once it has committed: nothing
    // between the event's publish and its delivery
    expect(statements).toBeLessThanOrEqual(3);
    for (const event of events) expect(event.ticketLockEvents.actor.staff).toEqual({ id: actorId });
    // Asking more of the person than the id still reads their row, once for every watcher.
    const withName = await statementsForOneEvent(5);
    expect(withName.statements).toBe(statements + 1);
  });

  it('groups by person when the answer depends on who asks', async () => {
    const [shared, onlyAnn, onlyBob] = await Promise.all([
      newInbox(org),
      newInbox(org),
      newInbox(org),
    ]);
    const [ann, bob] = await Promise.all([
      newAgent(org, { inboxes: [shared, onlyAnn] }),
      newAgent(org, { inboxes: [shared, onlyBob] }),
    ]);
    const customer = await newCustomer(org);
    const [annsConversation, bobsConversation] = await Promise.all([
      newConversation(org, { customer, inbox: onlyAnn }),
      newConversation(org, { customer, inbox: onlyBob }),
    ]);
    // Both send the same document; Customer.conversations is limited to what each agent sees.
    const query = `subscription ($inboxId: ID!) {
      conversationEvents(inboxId: $inboxId) {
        conversation { customer { conversations(first: 10) { edges { node { id } } } } }
      }
    }`;
    type Event = {
      conversationEvents: {
        conversation: { customer: { conversations: { edges: { node: { id: string } }[] } } };
      };
    };
    const watch = async (token: string) => {
      const socket = await connect(server.wsUrl, token);
      return new Subscription<Event>(socket.client, query, { inboxId: shared.id });
    };
    const [annWatch, bobWatch] = [await watch(ann.token), await watch(bob.token)];
    await new Promise((resolve) => setTimeout(resolve, 200)); // both live before the event
    const inShared = await newConversation(org, { customer, inbox: shared });
    const seen = async (subscription: Subscription<Event>) =>
      (await subscription.nextData()).conversationEvents.conversation.customer.conversations.edges
        .map((edge) => edge.node.id)
        .sort();
    expect(await seen(annWatch)).toEqual([annsConversation.id, inShared.id].sort());
    expect(await seen(bobWatch)).toEqual([bobsConversation.id, inShared.id].sort());
  });

  it("serializes a cohort's event once: every member's message carries the shared bytes", async () => {
    const inbox = await newInbox(org);
    const agents = await Promise.all([1, 2, 3].map(() => newAgent(org, { inboxes: [inbox] })));
    const watches: LockWatch[] = [];
    for (const agent of agents)
      watches.push(await watchLocks(await openWindow(server, agent), inbox.id));
    const worker = await openWindow(server, agents[0]!);
    const ticket = await newConversation(org, { inbox });
    const { serialized, expanded } = server.shared;
    await worker.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    const events = await Promise.all(watches.map((watch) => watch.next()));
    for (const event of events) expect(event).toMatchObject({ kind: 'LOCKED' });
    expect(server.shared.serialized - serialized).toBe(1);
    expect(server.shared.expanded - expanded).toBe(watches.length);
  });

  it('sends every member of a cohort the same, complete event', async () => {
    const inbox = await newInbox(org);
    const agents = await Promise.all([1, 2, 3].map(() => newAgent(org, { inboxes: [inbox] })));
    const watches: LockWatch[] = [];
    for (const agent of agents)
      watches.push(await watchLocks(await openWindow(server, agent), inbox.id));
    const worker = await openWindow(server, agents[0]!);
    const ticket = await newConversation(org, { inbox });
    await worker.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    const events = await Promise.all(watches.map((watch) => watch.next()));
    for (const event of events) expect(event).toEqual(events[0]);
    expect(events[0]).toMatchObject({
      kind: 'LOCKED',
      conversationId: ticket.id,
      lock: { sessionId: worker.sessionId },
    });
  });
});
