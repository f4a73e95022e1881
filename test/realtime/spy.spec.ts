import {
  AssignConversationDocument,
  AuditEventsDocument,
  PostCustomerMessageDocument,
  SendMessageDocument,
  SpyDocument,
  UpdateStaffDocument,
} from '../generated/graphql';
import {
  eventually,
  newAgent,
  newConversation,
  newInbox,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../support/factories';
import { useTwoInstancesWithOrg } from '../support/cluster';
import type { TestServer } from '../support/server';
import { connect, errorCodeOf, subscribe, type Subscription } from '../support/ws';
import { Streams } from '../../src/subscriptions/topics';
import type { SpySubscription } from '../generated/graphql';

describe('spy (C10)', () => {
  let a: TestServer;
  let b: TestServer;
  let org: Org;
  useTwoInstancesWithOrg((started) => ({ a, b, org } = started));

  /** An agent with a conversation assigned to them in a fresh inbox. */
  async function agentAtWork() {
    const inbox = await newInbox(org);
    const agent = await newAgent(org, { inboxes: [inbox] });
    const conversation = await newConversation(org, { inbox });
    await org.admin.api.ok(AssignConversationDocument, {
      input: { conversationId: conversation.id, staffId: agent.staff.id },
    });
    const customerWrites = (body: string) =>
      org.admin.api.ok(PostCustomerMessageDocument, {
        input: { conversationId: conversation.id, body },
      });
    const agentWrites = (body: string) =>
      agent.api.ok(SendMessageDocument, { input: { conversationId: conversation.id, body } });
    return { inbox, agent, conversation, customerWrites, agentWrites };
  }

  async function spyOn(
    server: TestServer,
    supervisor: Member,
    variables: { agentId?: string; conversationId?: string; after?: number },
    stream: string,
  ) {
    const socket = await connect(server.wsUrl, supervisor.token);
    const spy = subscribe(socket, SpyDocument, variables);
    await eventually(() => server.hub.liveSubscribers(stream) >= 1, 5000, 'the spy live');
    return { socket, spy };
  }

  const received = async (spy: Subscription<SpySubscription>) => (await spy.nextData()).spy;

  it('C10: a supervisor spying on an agent sees both directions live, and after a reconnect resumes with nothing missed or doubled; from and until are audited', async () => {
    const work = await agentAtWork();
    const supervisor = await newSupervisor(org);
    const stream = Streams.staffMessages(org.id, work.agent.staff.id);
    const first = await spyOn(b, supervisor, { agentId: work.agent.staff.id }, stream);

    await work.customerWrites('Hello, my order is late');
    await work.agentWrites('Let me check that for you');
    const live = [await received(first.spy), await received(first.spy)];
    expect(live.map((event) => [event.message.body, event.message.direction])).toEqual([
      ['Hello, my order is late', 'INCOMING'],
      ['Let me check that for you', 'OUTGOING'],
    ]);
    expect(live.every((event) => event.conversation.id === work.conversation.id)).toBe(true);
    expect(live[1]!.seq).toBe(live[0]!.seq + 1);

    await first.socket.dispose();
    await work.customerWrites('Any news?');
    await work.agentWrites('It ships today');
    const again = await spyOn(
      a,
      supervisor,
      { agentId: work.agent.staff.id, after: live[1]!.seq },
      stream,
    );
    await work.customerWrites('Thanks!');
    const resumed = [
      await received(again.spy),
      await received(again.spy),
      await received(again.spy),
    ];
    expect(resumed.map((event) => event.message.body)).toEqual([
      'Any news?',
      'It ships today',
      'Thanks!',
    ]);
    expect(resumed.map((event) => event.seq)).toEqual([
      live[1]!.seq + 1,
      live[1]!.seq + 2,
      live[1]!.seq + 3,
    ]);
    await again.spy.expectSilence(200);
    await again.socket.dispose();

    await eventually(async () => (await auditKinds(supervisor, 'SPY_ENDED')).length === 2);
    const started = await auditKinds(supervisor, 'SPY_STARTED');
    expect(started).toHaveLength(2);
    const ended = await auditKinds(supervisor, 'SPY_ENDED');
    for (const event of ended) {
      expect(event.subjectId).toBe(work.agent.staff.id);
      expect(Date.parse(event.data.until as string)).toBeGreaterThanOrEqual(
        Date.parse(event.data.from as string),
      );
    }
  });

  it("C10: spying on one conversation follows its messages only, not the inbox's other conversations", async () => {
    const work = await agentAtWork();
    const other = await newConversation(org, { inbox: work.inbox });
    const stream = Streams.inboxConversations(org.id, work.inbox.id);
    const { spy } = await spyOn(a, org.admin, { conversationId: work.conversation.id }, stream);
    await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: other.id, body: 'not this one' },
    });
    await work.customerWrites('this one');
    const event = await received(spy);
    expect(event.message.body).toBe('this one');
    expect(event.conversation.id).toBe(work.conversation.id);
  });

  it("C10: an AGENT cannot spy (FORBIDDEN); another organization's agent is NOT_FOUND; naming neither is BAD_USER_INPUT", async () => {
    const work = await agentAtWork();
    const supervisor = await newSupervisor(org);
    const elsewhere = await newAgent(await newOrg(a));
    const agentSocket = await connect(a.wsUrl, work.agent.token);
    const refused = subscribe(agentSocket, SpyDocument, { agentId: work.agent.staff.id });
    expect(errorCodeOf(await refused.next())).toBe('FORBIDDEN');
    const supervisorSocket = await connect(a.wsUrl, supervisor.token);
    const foreign = subscribe(supervisorSocket, SpyDocument, { agentId: elsewhere.staff.id });
    expect(errorCodeOf(await foreign.next())).toBe('NOT_FOUND');
    const neither = subscribe(supervisorSocket, SpyDocument, {});
    expect(errorCodeOf(await neither.next())).toBe('BAD_USER_INPUT');
    expect(await auditKinds(supervisor, 'SPY_STARTED')).toHaveLength(0);
  });

  it('C10: a supervisor demoted mid-spy stops receiving within one event (FORBIDDEN), and the end is audited', async () => {
    const work = await agentAtWork();
    const supervisor = await newSupervisor(org);
    const stream = Streams.staffMessages(org.id, work.agent.staff.id);
    const { spy } = await spyOn(b, supervisor, { agentId: work.agent.staff.id }, stream);
    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: supervisor.staff.id, role: 'AGENT' },
    });
    await work.customerWrites('after the demotion');
    const ended = await spy.next();
    expect(ended.data).toBeFalsy();
    expect(errorCodeOf(ended)).toBe('FORBIDDEN');
    await eventually(async () => (await auditKinds(supervisor, 'SPY_ENDED')).length === 1);
  });

  async function auditKinds(actor: Member, kind: 'SPY_STARTED' | 'SPY_ENDED') {
    const { auditEvents } = await org.admin.api.ok(AuditEventsDocument, {
      filter: { kind, actorId: actor.staff.id },
    });
    return auditEvents.edges.map((edge) => ({
      ...edge.node,
      data: edge.node.data as Record<string, unknown>,
    }));
  }
});
