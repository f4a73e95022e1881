import {
  AgentInfoDocument,
  ConversationEventsDocument,
  OpenTicketDocument,
  PostCustomerMessageDocument,
  SetInboxMembersDocument,
  UpdateStaffDocument,
} from '../generated/graphql';
import {
  eventually,
  newAgent,
  newConversation,
  newInbox,
  newSupervisor,
  type Org,
} from '../support/factories';
import { useTwoInstancesWithOrg } from '../support/cluster';
import type { TestServer } from '../support/server';
import { lockWatchersLive, openWindow, watchLocks } from '../support/windows';
import { connect, errorCodeOf, subscribe } from '../support/ws';
import { Streams } from '../../src/subscriptions/topics';

describe('every stream re-checks access (issue 17, item 8)', () => {
  let a: TestServer;
  let b: TestServer;
  let org: Org;
  useTwoInstancesWithOrg((started) => ({ a, b, org } = started));

  it("17.8: an agent removed from an inbox on instance A loses that inbox's lock stream on instance B within one event; the members who stay keep theirs", async () => {
    const inbox = await newInbox(org);
    const [removed, stays, worker] = await Promise.all([
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
      newAgent(org, { inboxes: [inbox] }),
    ]);
    const removedWatch = await watchLocks(await openWindow(b, removed), inbox.id);
    const staysWatch = await watchLocks(await openWindow(b, stays), inbox.id);
    await lockWatchersLive(b, org.id, inbox.id, 2);

    await org.admin.api.ok(SetInboxMembersDocument, {
      input: { inboxId: inbox.id, staffIds: [stays.staff.id, worker.staff.id] },
    });
    const ticket = await newConversation(org, { inbox });
    const onA = await openWindow(a, worker);
    await onA.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });

    // The removed agent's next result is the end of the stream, never the LOCKED that followed.
    const ended = await removedWatch.subscription.next();
    expect(ended.data).toBeFalsy();
    expect(errorCodeOf(ended)).toBe('FORBIDDEN');
    await removedWatch.subscription.expectSilence(200);
    // Narrowed, not cut for everyone: the member who stayed sees the lock.
    const locked = await staysWatch.next();
    expect(locked).toMatchObject({ kind: 'LOCKED', conversationId: ticket.id });
  });

  it('17.8: a stream with no traffic ends as soon as the access is gone (no event needed)', async () => {
    const inbox = await newInbox(org);
    const agent = await newAgent(org, { inboxes: [inbox] });
    const watch = await watchLocks(await openWindow(a, agent), inbox.id);
    await org.admin.api.ok(SetInboxMembersDocument, { input: { inboxId: inbox.id, staffIds: [] } });
    const ended = await watch.subscription.next(2000);
    expect(errorCodeOf(ended)).toBe('FORBIDDEN');
  });

  it("17.8: a supervisor demoted to AGENT mid-stream stops receiving an inbox's conversation events within one event", async () => {
    const inbox = await newInbox(org);
    const supervisor = await newSupervisor(org, { inboxes: [] });
    const window = await openWindow(b, supervisor);
    const conversation = await newConversation(org, { inbox });
    const events = subscribe(window.socket, ConversationEventsDocument, { inboxId: inbox.id });
    await postAndExpect(conversation.id, 'before');

    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: supervisor.staff.id, role: 'AGENT' },
    });
    await org.admin.api.ok(PostCustomerMessageDocument, {
      input: { conversationId: conversation.id, body: 'after the demotion' },
    });
    const ended = await events.next();
    expect(ended.data).toBeFalsy();
    expect(errorCodeOf(ended)).toBe('FORBIDDEN');

    async function postAndExpect(conversationId: string, body: string) {
      await eventuallyLive(inbox.id);
      await org.admin.api.ok(PostCustomerMessageDocument, { input: { conversationId, body } });
      const event = await events.nextData();
      expect(event.conversationEvents.message?.body).toBe(body);
    }
  });

  it('17.8: a change written without its notice (another tool, a lost publish) is found by the periodic comparison', async () => {
    const inbox = await newInbox(org);
    const agent = await newAgent(org, { inboxes: [inbox] });
    const watch = await watchLocks(await openWindow(a, agent), inbox.id);
    await a.dataSource.query('DELETE FROM inbox_member WHERE inbox_id = $1 AND staff_id = $2', [
      inbox.id,
      agent.staff.id,
    ]);
    const ended = await watch.subscription.next(8000);
    expect(errorCodeOf(ended)).toBe('FORBIDDEN');
  }, 15_000);

  it('17.8: the access generation rises with a role, an activation or a membership change, not with other edits', async () => {
    const inbox = await newInbox(org);
    const agent = await newAgent(org, { inboxes: [] });
    const generation = async () =>
      Number(
        (
          (await a.dataSource.query('SELECT access_generation FROM staff WHERE id = $1', [
            agent.staff.id,
          ])) as Array<{ access_generation: string }>
        )[0]!.access_generation,
      );
    const start = await generation();
    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: agent.staff.id, name: 'Renamed' },
    });
    expect(await generation()).toBe(start);
    await org.admin.api.ok(SetInboxMembersDocument, {
      input: { inboxId: inbox.id, staffIds: [agent.staff.id] },
    });
    expect(await generation()).toBe(start + 1);
    // Setting the same members again changes nobody's access.
    await org.admin.api.ok(SetInboxMembersDocument, {
      input: { inboxId: inbox.id, staffIds: [agent.staff.id] },
    });
    expect(await generation()).toBe(start + 1);
    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: agent.staff.id, role: 'DISPATCHER' },
    });
    expect(await generation()).toBe(start + 2);
  });

  function eventuallyLive(inboxId: string): Promise<void> {
    const stream = Streams.inboxConversations(org.id, inboxId);
    return eventually(() => b.hub.liveSubscribers(stream) >= 1, 5000, 'a live subscriber');
  }

  it('17.3: a role change reaches the operations of a socket opened before it: a supervisor demoted on instance A is FORBIDDEN a supervisor query over their open socket on instance B, and allowed again once promoted, without reconnecting', async () => {
    const [supervisor, agent] = await Promise.all([newSupervisor(org), newAgent(org)]);
    const socket = await connect(b.wsUrl, supervisor.token);
    const ask = () => subscribe(socket, AgentInfoDocument, { agentId: agent.staff.id }).next();
    expect((await ask()).data?.agentInfo.agent.id).toBe(agent.staff.id);

    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: supervisor.staff.id, role: 'AGENT' },
    });
    // The notice reaches instance B (at the latest, the 5 s re-read).
    await eventually(
      async () => errorCodeOf(await ask()) === 'FORBIDDEN',
      7000,
      'refused over the socket',
    );

    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: supervisor.staff.id, role: 'SUPERVISOR' },
    });
    await eventually(async () => !(await ask()).errors, 7000, 'allowed again');
  });
});
