import {
  AgentActivityDocument,
  AgentActivityUpdatesDocument,
  AgentInfoDocument,
  AssignConversationDocument,
  OpenTicketDocument,
  PauseAgentDocument,
  SetMyStatusDocument,
} from '../generated/graphql';
import {
  newAgent,
  newConversation,
  newInbox,
  newOrg,
  newSupervisor,
  type Org,
} from '../support/factories';
import { newCampaign } from '../support/campaigns';
import { useTwoInstancesWithOrg } from '../support/cluster';
import type { TestServer } from '../support/server';
import { openWindow } from '../support/windows';
import { connect, errorCodeOf, subscribe } from '../support/ws';

describe('agent info and console activity (C11, issue 17 item 3)', () => {
  let a: TestServer;
  let b: TestServer;
  let org: Org;
  useTwoInstancesWithOrg((started) => ({ a, b, org } = started));

  it('C11: agentInfo gives status, pause, campaigns, signed-in since and active interactions; an AGENT is FORBIDDEN and another organization is NOT_FOUND', async () => {
    const [agent, supervisor] = await Promise.all([newAgent(org), newSupervisor(org)]);
    const campaigns = [
      await newCampaign(org, { name: `Zeta ${agent.staff.id}`, members: [agent] }),
      await newCampaign(org, { name: `Alpha ${agent.staff.id}`, members: [agent] }),
    ];
    await newCampaign(org, { members: [] }); // not theirs
    await agent.api.ok(SetMyStatusDocument, { input: { status: 'AWAY' } });
    const conversation = await newConversation(org);
    await org.admin.api.ok(AssignConversationDocument, {
      input: { conversationId: conversation.id, staffId: agent.staff.id },
    });
    await supervisor.api.ok(PauseAgentDocument, {
      input: { agentId: agent.staff.id, reason: 'Lunch' },
    });
    const { agentInfo } = await supervisor.api.ok(AgentInfoDocument, { agentId: agent.staff.id });
    expect(agentInfo).toMatchObject({
      status: 'AWAY',
      paused: true,
      agent: { id: agent.staff.id, pauseReason: 'Lunch' },
      campaigns: [
        { id: campaigns[1].id, name: campaigns[1].name },
        { id: campaigns[0].id, name: campaigns[0].name },
      ],
      activeInteractionCount: 1,
      activeInteractions: [{ id: conversation.id }],
    });
    const [signIn] = (await a.dataSource.query(
      "SELECT created_at FROM client_session WHERE id = $1 AND kind = 'SIGN_IN'",
      [agent.sessionId],
    )) as Array<{ created_at: Date }>;
    expect(agentInfo.signedInSince).toBe(signIn!.created_at.toISOString());

    const peer = await newAgent(org);
    const input = { agentId: agent.staff.id };
    expect((await peer.api.fails(AgentInfoDocument, input)).extensions?.code).toBe('FORBIDDEN');
    const elsewhere = await newAgent(await newOrg(a));
    const foreign = { agentId: elsewhere.staff.id };
    expect((await supervisor.api.fails(AgentInfoDocument, foreign)).extensions?.code).toBe(
      'NOT_FOUND',
    );
  }, 60_000);

  it("3: agentActivity lists the agent's open windows and the conversation each holds; agentActivityUpdates pushes each change, across instances", async () => {
    const inbox = await newInbox(org);
    const [agent, supervisor] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newSupervisor(org),
    ]);
    const ticket = await newConversation(org, { inbox });
    const first = await openWindow(b, agent);
    const updates = subscribe(
      await connect(a.wsUrl, supervisor.token),
      AgentActivityUpdatesDocument,
      { agentId: agent.staff.id },
    );
    const initial = (await updates.nextData()).agentActivityUpdates;
    const socketWindow = initial.windows.find((w) => w.sessionId === first.sessionId);
    expect(socketWindow).toMatchObject({ kind: 'WINDOW', conversation: null });

    await first.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    const opened = (await updates.nextData(5000)).agentActivityUpdates;
    expect(opened.windows.find((w) => w.sessionId === first.sessionId)).toMatchObject({
      inbox: { id: inbox.id },
      conversation: { id: ticket.id },
    });

    const { agentActivity } = await supervisor.api.ok(AgentActivityDocument, {
      agentId: agent.staff.id,
    });
    expect(agentActivity.windows.find((w) => w.sessionId === first.sessionId)).toMatchObject({
      conversation: { id: ticket.id },
    });
    expect(agentActivity.lastActiveAt).toBeTruthy();

    await first.socket.dispose();
    const closed = (await updates.nextData(8000)).agentActivityUpdates;
    expect(closed.windows.some((w) => w.sessionId === first.sessionId)).toBe(false);
  });

  it('3: agentActivityUpdates is refused to an AGENT (FORBIDDEN)', async () => {
    const [agent, peer] = await Promise.all([newAgent(org), newAgent(org)]);
    const refused = subscribe(await connect(a.wsUrl, peer.token), AgentActivityUpdatesDocument, {
      agentId: agent.staff.id,
    });
    expect(errorCodeOf(await refused.next())).toBe('FORBIDDEN');
  });
});
