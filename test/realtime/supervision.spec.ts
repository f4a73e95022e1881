import {
  AuditEventsDocument,
  CampaignQueueDocument,
  DisconnectAgentDocument,
  MeDocument,
  OpenTicketDocument,
  PauseAgentDocument,
  ResumeAgentDocument,
  RoutedConversationDocument,
  SetMyStatusDocument,
  StaffPauseDocument,
  StartConversationDocument,
  TakeInteractionDocument,
} from '../generated/graphql';
import { GraphQLClient } from '../support/client';
import { newArrival, newCampaign } from '../support/campaigns';
import {
  eventually,
  newAgent,
  newConversation,
  newCustomer,
  newInbox,
  newOrg,
  newSupervisor,
  type Org,
} from '../support/factories';
import { useTwoInstancesWithOrg } from '../support/cluster';
import type { TestServer } from '../support/server';
import { lockWatchersLive, openWindow, watchLocks } from '../support/windows';

describe('supervision: pause and disconnect (C12, C14)', () => {
  let a: TestServer;
  let b: TestServer;
  let org: Org;
  useTwoInstancesWithOrg((started) => ({ a, b, org } = started));

  it("C14: disconnectAgent on instance A closes the agent's socket on instance B with 4403 (a supervisor), refuses their token, releases their lock (watchers told) and is audited", async () => {
    const inbox = await newInbox(org);
    const [agent, watcher, supervisor] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
      newSupervisor(org),
    ]);
    const ticket = await newConversation(org, { inbox });
    const agentWindow = await openWindow(b, agent);
    await agentWindow.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    const watch = await watchLocks(await openWindow(a, watcher), inbox.id);
    await lockWatchersLive(a, org.id, inbox.id);

    const { disconnectAgent } = await supervisor.api.ok(DisconnectAgentDocument, {
      input: { agentId: agent.staff.id },
    });
    expect(disconnectAgent).toEqual({
      agent: { id: agent.staff.id, status: 'OFFLINE' },
      sessionsRevoked: 1,
      requeued: [], // no campaign interactions
    });

    const closed = await agentWindow.socket.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/supervisor/);
    expect((await agent.api.fails(MeDocument)).extensions?.code).toBe('UNAUTHENTICATED');
    const released = await watch.next();
    expect(released).toMatchObject({ kind: 'RELEASED', conversationId: ticket.id });

    const { auditEvents } = await org.admin.api.ok(AuditEventsDocument, {
      filter: { kind: 'AGENT_DISCONNECTED', subjectId: agent.staff.id },
    });
    expect(auditEvents.edges.map((edge) => edge.node.kind)).toEqual(['AGENT_DISCONNECTED']);
  });

  it("C14: disconnectAgent on instance A closes the socket on instance B (4403) and puts the agent's active interactions back at the FRONT of their queues with their original waitingSince (REQUEUED, abandon timer restarted)", async () => {
    const [agent, peer, supervisor] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newSupervisor(org),
    ]);
    const campaign = await newCampaign(org, { members: [agent, peer] });
    const other = await newCampaign(org, { members: [agent] });
    const first = await newArrival(a, campaign);
    const second = await newArrival(a, campaign);
    const elsewhere = await newArrival(a, other);
    const onB = new GraphQLClient(b.url, agent.token);
    for (const target of [{ campaignId: campaign.id }, { campaignId: other.id }])
      await onB.ok(TakeInteractionDocument, { input: target });
    const third = await newArrival(a, campaign); // arrives while the agent holds the first
    const queueOf = async (campaignId: string) =>
      (await supervisor.api.ok(CampaignQueueDocument, { campaignId })).campaignQueue;
    const before = await queueOf(campaign.id);
    expect(before.map((q) => q.conversationId)).toEqual([
      second.conversationId,
      third.conversationId,
    ]);
    const [{ waiting_since: originalWait }] = (await a.dataSource.query(
      'SELECT waiting_since FROM conversation WHERE id = $1',
      [first.conversationId],
    )) as Array<{ waiting_since: Date }>;
    const agentWindow = await openWindow(b, agent);
    const cutAt = new Date();

    const { disconnectAgent } = await supervisor.api.ok(DisconnectAgentDocument, {
      input: { agentId: agent.staff.id },
    });
    expect(disconnectAgent.requeued).toEqual([
      {
        id: first.conversationId,
        waitingSince: originalWait.toISOString(),
        routingReason: 'REQUEUED',
        assignee: null,
      },
      {
        id: elsewhere.conversationId,
        waitingSince: expect.any(String),
        routingReason: 'REQUEUED',
        assignee: null,
      },
    ]);
    const closed = await agentWindow.socket.closed;
    expect(closed.code).toBe(4403);

    // At the front, ahead of what arrived after it, with its original wait.
    const after = await queueOf(campaign.id);
    expect(after.map((q) => q.conversationId)).toEqual([
      first.conversationId,
      second.conversationId,
      third.conversationId,
    ]);
    expect(after[0].waitingSince).toBe(originalWait.toISOString());
    expect((await queueOf(other.id)).map((q) => q.conversationId)).toEqual([
      elsewhere.conversationId,
    ]);
    // The abandon timer runs from the requeue.
    const [{ requeued_at: requeuedAt }] = (await a.dataSource.query(
      'SELECT requeued_at FROM conversation WHERE id = $1',
      [first.conversationId],
    )) as Array<{ requeued_at: Date }>;
    expect(requeuedAt.getTime()).toBeGreaterThanOrEqual(cutAt.getTime() - 5);
    // REQUEUED on the campaign's queue stream, logged in the revocation's transaction.
    const events = (await a.dataSource.query(
      "SELECT payload FROM event_log WHERE stream = $1 AND payload->>'kind' = 'REQUEUED'",
      [`org:${org.id}:campaign:${campaign.id}:queue`],
    )) as Array<{ payload: { interaction: { conversationId: string; waitingSince: string } } }>;
    expect(events.map((e) => e.payload.interaction)).toEqual([
      expect.objectContaining({
        conversationId: first.conversationId,
        waitingSince: originalWait.toISOString(),
      }),
    ]);
    // The next take is the requeued interaction: its customer has waited longest.
    const { takeInteraction } = await peer.api.ok(TakeInteractionDocument, {
      input: { campaignId: campaign.id },
    });
    expect(takeInteraction.conversation?.id).toBe(first.conversationId);
  }, 60_000);

  it("C14: an AGENT cannot disconnect (FORBIDDEN), a supervisor cannot disconnect an ADMIN (FORBIDDEN), and another organization's agent is NOT_FOUND; nothing is revoked", async () => {
    const [agent, other, supervisor] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newSupervisor(org),
    ]);
    const elsewhere = await newAgent(await newOrg(a));
    const input = { input: { agentId: other.staff.id } };
    expect((await agent.api.fails(DisconnectAgentDocument, input)).extensions?.code).toBe(
      'FORBIDDEN',
    );
    const admin = { input: { agentId: org.admin.staff.id } };
    expect((await supervisor.api.fails(DisconnectAgentDocument, admin)).extensions?.code).toBe(
      'FORBIDDEN',
    );
    const foreign = { input: { agentId: elsewhere.staff.id } };
    expect((await supervisor.api.fails(DisconnectAgentDocument, foreign)).extensions?.code).toBe(
      'NOT_FOUND',
    );
    await other.api.ok(MeDocument);
    await elsewhere.api.ok(MeDocument);
    await org.admin.api.ok(MeDocument);
  });

  it('C12: a paused agent is offered nothing (the conversation waits in the queue) until resumed; the reason is kept and both are audited', async () => {
    const inbox = await newInbox(org);
    const [agent, supervisor] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newSupervisor(org),
    ]);
    await agent.api.ok(SetMyStatusDocument, { input: { status: 'ONLINE' } });
    const { pauseAgent } = await supervisor.api.ok(PauseAgentDocument, {
      input: { agentId: agent.staff.id, reason: 'Coaching session' },
    });
    expect(pauseAgent.agent.pauseReason).toBe('Coaching session');
    expect(pauseAgent.agent.pausedAt).toBeTruthy();
    // The agent sees why; another agent does not.
    const seen = (await agent.api.ok(StaffPauseDocument, { id: agent.staff.id })).staff;
    expect(seen).toMatchObject({ pauseReason: 'Coaching session' });
    const peer = await newAgent(org);
    expect((await peer.api.ok(StaffPauseDocument, { id: agent.staff.id })).staff).toMatchObject({
      pauseReason: null,
    });

    const customer = await newCustomer(org);
    const { startConversation } = await org.admin.api.ok(StartConversationDocument, {
      input: { customerId: customer.id, channel: 'CHAT', inboxId: inbox.id, body: 'Hello' },
    });
    const conversationId = startConversation.conversation.id;
    const assignee = async () =>
      (await org.admin.api.ok(RoutedConversationDocument, { id: conversationId })).conversation
        ?.assignee?.id;
    expect(await assignee()).toBeUndefined();

    const { resumeAgent } = await supervisor.api.ok(ResumeAgentDocument, {
      input: { agentId: agent.staff.id },
    });
    expect(resumeAgent.agent).toMatchObject({ pausedAt: null, pauseReason: null });
    await eventually(async () => (await assignee()) === agent.staff.id, 5000, 'the queue routed');

    const kinds = async (kind: 'AGENT_PAUSED' | 'AGENT_RESUMED') =>
      (
        await org.admin.api.ok(AuditEventsDocument, {
          filter: { kind, subjectId: agent.staff.id, actorId: supervisor.staff.id },
        })
      ).auditEvents.edges.map((edge) => edge.node.kind);
    expect(await kinds('AGENT_PAUSED')).toEqual(['AGENT_PAUSED']);
    expect(await kinds('AGENT_RESUMED')).toEqual(['AGENT_RESUMED']);
  });

  it('C12: tandem_is_paused, the predicate campaign takes ask, follows pause and resume', async () => {
    const [agent, supervisor] = await Promise.all([newAgent(org), newSupervisor(org)]);
    const paused = async () =>
      b.services.routing.isPaused(
        { manager: b.dataSource.manager } as Parameters<typeof b.services.routing.isPaused>[0],
        agent.staff.id,
      );
    expect(await paused()).toBe(false);
    await supervisor.api.ok(PauseAgentDocument, {
      input: { agentId: agent.staff.id, reason: 'Break' },
    });
    expect(await paused()).toBe(true);
    await supervisor.api.ok(ResumeAgentDocument, { input: { agentId: agent.staff.id } });
    expect(await paused()).toBe(false);
  });
});
