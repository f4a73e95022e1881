import {
  AgentChatDocument,
  AgentChatUnreadDocument,
  AuditEventsDocument,
  MarkAgentChatReadDocument,
  SendAgentChatDocument,
} from '../generated/graphql';
import { eventually, newAgent, newOrg, newSupervisor, type Org } from '../support/factories';
import { useTwoInstancesWithOrg } from '../support/cluster';
import type { TestServer } from '../support/server';
import { connect, subscribe } from '../support/ws';
import { Streams } from '../../src/subscriptions/topics';

describe('chat with agent (C13)', () => {
  let a: TestServer;
  let b: TestServer;
  let org: Org;
  useTwoInstancesWithOrg((started) => ({ a, b, org } = started));

  const live = (server: TestServer, staffId: string, count = 1) =>
    eventually(
      () => server.hub.liveSubscribers(Streams.staffChat(org.id, staffId)) >= count,
      5000,
      'a live chat subscriber',
    );

  it('C13: supervisor and agent exchange messages in real time across instances, with unread counts, read receipts and a resume cursor; supervisor messages are audited', async () => {
    const [agent, supervisor] = await Promise.all([newAgent(org), newSupervisor(org)]);
    const agentSocket = await connect(b.wsUrl, agent.token);
    const agentChat = subscribe(agentSocket, AgentChatDocument, {});
    const supervisorChat = subscribe(
      await connect(a.wsUrl, supervisor.token),
      AgentChatDocument,
      {},
    );
    await live(b, agent.staff.id);
    await live(a, supervisor.staff.id);

    const send = (from: typeof agent, to: typeof agent, body: string) =>
      from.api.ok(SendAgentChatDocument, { input: { toStaffId: to.staff.id, body } });
    await send(supervisor, agent, 'Please wrap up ticket 42');
    const received = (await agentChat.nextData()).agentChat;
    expect(received).toMatchObject({
      kind: 'MESSAGE',
      message: {
        body: 'Please wrap up ticket 42',
        from: { id: supervisor.staff.id },
        to: { id: agent.staff.id },
      },
    });
    // The sender's windows see what they sent.
    expect((await supervisorChat.nextData()).agentChat.message?.body).toBe(
      'Please wrap up ticket 42',
    );
    expect((await agent.api.ok(AgentChatUnreadDocument)).agentChatUnread).toEqual({
      total: 1,
      bySender: [{ staff: { id: supervisor.staff.id }, count: 1 }],
    });

    await send(agent, supervisor, 'On it');
    expect((await supervisorChat.nextData()).agentChat.message?.body).toBe('On it');
    expect((await agentChat.nextData()).agentChat.message?.body).toBe('On it');

    const { markAgentChatRead } = await agent.api.ok(MarkAgentChatReadDocument, {
      input: { staffId: supervisor.staff.id },
    });
    expect(markAgentChatRead.read).toBe(1);
    expect((await agent.api.ok(AgentChatUnreadDocument)).agentChatUnread.total).toBe(0);
    const receipt = (await supervisorChat.nextData()).agentChat;
    expect(receipt).toMatchObject({
      kind: 'READ',
      read: { reader: { id: agent.staff.id }, sender: { id: supervisor.staff.id }, count: 1 },
    });
    const lastSeen = (await agentChat.nextData()).agentChat.seq; // the READ, on their own stream

    // The agent's console drops; two messages arrive meanwhile; it resumes with both, once.
    await agentSocket.dispose();
    await send(supervisor, agent, 'Also ticket 43');
    await send(supervisor, agent, 'Thanks');
    const resumed = subscribe(await connect(a.wsUrl, agent.token), AgentChatDocument, {
      after: lastSeen,
    });
    const replayed = [(await resumed.nextData()).agentChat, (await resumed.nextData()).agentChat];
    expect(replayed.map((event) => [event.seq, event.message?.body])).toEqual([
      [lastSeen + 1, 'Also ticket 43'],
      [lastSeen + 2, 'Thanks'],
    ]);
    await resumed.expectSilence(200);

    const { auditEvents } = await org.admin.api.ok(AuditEventsDocument, {
      filter: { kind: 'AGENT_CHAT', subjectId: agent.staff.id },
    });
    expect(auditEvents.totalCount).toBe(3); // the supervisor's three, not the agent's reply
  });

  it("C13: two agents do not chat here (FORBIDDEN); another organization's staff is NOT_FOUND; oneself is BAD_USER_INPUT; nothing is stored", async () => {
    const [agent, other, supervisor] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newSupervisor(org),
    ]);
    const elsewhere = await newSupervisor(await newOrg(a));
    const tries = [
      [agent, other.staff.id, 'FORBIDDEN'],
      [agent, elsewhere.staff.id, 'NOT_FOUND'],
      [supervisor, supervisor.staff.id, 'BAD_USER_INPUT'],
    ] as const;
    for (const [from, toStaffId, code] of tries) {
      const error = await from.api.fails(SendAgentChatDocument, {
        input: { toStaffId, body: 'hello' },
      });
      expect(error.extensions?.code).toBe(code);
    }
    const [{ count }] = (await a.dataSource.query(
      'SELECT count(*)::int AS count FROM agent_chat_message WHERE from_staff_id = ANY($1)',
      [[agent.staff.id, supervisor.staff.id]],
    )) as Array<{ count: number }>;
    expect(count).toBe(0);
  }, 60_000);
});
