import {
  AssignConversationDocument,
  CloseConversationDocument,
  CustomerHeroDocument,
  ReassignToHeroDocument,
  RoutedConversationDocument,
  SetDedicatedHeroDocument,
  SetMyStatusDocument,
  StartConversationDocument,
  type StartConversationMutationVariables,
} from '../generated/graphql';
import { SYSTEM_ACTOR } from '../../src/context/auth';
import { Conversation } from '../../src/entities/conversation.entity';
import type { Inbox } from '../../src/entities/inbox.entity';
import { Channel } from '../../src/entities/enums';
import {
  newAgent,
  newCustomer,
  newDispatcher,
  newInbox,
  newOrg,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { snapshotOf } from '../../src/subscriptions/snapshot';
import { Streams } from '../../src/subscriptions/topics';

type ChannelName = StartConversationMutationVariables['input']['channel'];

describe('dedicated heroes and routing', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  /** A contact center: a voice inbox (default for voice), a support inbox, agents in each. */
  async function contactCenter() {
    const org = await newOrg(server);
    const support = await newInbox(org, 'Support');
    const voice = await server.services.inboxes.create(org.admin.auth, {
      name: 'Phones',
      channels: [Channel.VOICE, Channel.VOICEMAIL],
      isDefaultVoice: true,
    });
    const agent = async (name: string, inboxes: Inbox[], defaultInbox?: Inbox) => {
      const member = await newAgent(org, { name, inboxes });
      if (defaultInbox)
        await server.services.staff.update(org.admin.auth, member.staff.id, {
          defaultInboxId: defaultInbox.id,
        });
      return member;
    };
    return { org, support, voice, agent };
  }

  const online = (member: Member) =>
    member.api.ok(SetMyStatusDocument, { input: { status: 'ONLINE' } });
  const away = (member: Member) =>
    member.api.ok(SetMyStatusDocument, { input: { status: 'AWAY' } });

  async function contact(org: Org, customerId: string, channel: ChannelName, inboxId?: string) {
    const { startConversation } = await org.admin.api.ok(StartConversationDocument, {
      input: { customerId, channel, inboxId, body: 'Hello' },
    });
    return startConversation.conversation;
  }

  async function routed(org: Org, id: string) {
    return (await org.admin.api.ok(RoutedConversationDocument, { id })).conversation;
  }

  it('R1: a customer has at most one dedicated hero, an agent or an inbox: setting one replaces the other, also when two are set at once', async () => {
    const { org, support, agent } = await contactCenter();
    const [first, second] = [await agent('First', [support]), await agent('Second', [support])];
    const customer = await newCustomer(org);
    const setHero = (target: { agentId?: string; inboxId?: string }) =>
      org.admin.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, ...target },
      });
    const heroOf = async () =>
      (await org.admin.api.ok(CustomerHeroDocument, { id: customer.id })).customer?.dedicatedHero;

    await setHero({ agentId: first.staff.id });
    await setHero({ inboxId: support.id });
    expect(await heroOf()).toEqual({ agent: null, inbox: { id: support.id } });

    await Promise.all([
      setHero({ agentId: first.staff.id }),
      setHero({ agentId: second.staff.id }),
    ]);
    const rows: Array<{ agent_id: string; inbox_id: string | null }> =
      await server.dataSource.query(
        'SELECT agent_id, inbox_id FROM dedicated_hero WHERE customer_id = $1',
        [customer.id],
      );
    expect(rows).toHaveLength(1);
    expect([first.staff.id, second.staff.id]).toContain(rows[0]?.agent_id);
    expect(await heroOf()).toEqual({ agent: { id: rows[0]?.agent_id }, inbox: null });
  });

  describe('agent scenarios', () => {
    it('R2: "I assigned myself as the Dedicated Hero but the Conversation remained assigned to another Agent. Why?"None', async () => {
      const { org, support, agent } = await contactCenter();
      const [me, other] = [await agent('Me', [support]), await agent('Other', [support])];
      await online(other);
      const customer = await newCustomer(org);
      const existing = await contact(org, customer.id, 'CHAT', support.id);
      expect(existing.assignee?.id).toBe(other.staff.id);
      await online(me);
      await me.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: me.staff.id },
      });
      // The existing conversation stays with its assignee until it closes...
      expect((await routed(org, existing.id)).assignee?.id).toBe(other.staff.id);
      // ...or until "Reassign to Hero".
      const { reassignToHero } = await me.api.ok(ReassignToHeroDocument, {
        input: { conversationId: existing.id },
      });
      expect(reassignToHero.conversation).toMatchObject({
        assignee: { id: me.staff.id },
        routingReason: 'REASSIGNED_TO_HERO',
      });
      // Future conversations are the hero's.
      const next = await contact(org, customer.id, 'CHAT', support.id);
      expect(next).toMatchObject({ assignee: { id: me.staff.id }, routingReason: 'HERO' });
    });

    it('R3: "When a Customer has a Dedicated Hero, and another Agent is assigned as a new Dedicated Hero, then the Conversation will automatically be reassigned to the new Hero"None', async () => {
      const { org, support, agent } = await contactCenter();
      const [first, second] = [await agent('First', [support]), await agent('Second', [support])];
      await online(first);
      const customer = await newCustomer(org);
      await first.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: first.staff.id },
      });
      const open = await contact(org, customer.id, 'SMS', support.id);
      expect(open.assignee?.id).toBe(first.staff.id);
      await org.admin.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: second.staff.id },
      });
      expect(await routed(org, open.id)).toMatchObject({
        assignee: { id: second.staff.id },
        routingReason: 'HERO_CHANGED',
      });
    });

    it('R4: "I am the Dedicated Hero for a Customer, but I need to assign a Conversation to another Agent. Will I lose my status as the Dedicated Hero?" No', async () => {
      const { org, support, agent } = await contactCenter();
      const [hero, colleague] = [
        await agent('Hero', [support]),
        await agent('Colleague', [support]),
      ];
      await Promise.all([online(hero), online(colleague)]);
      const customer = await newCustomer(org);
      await hero.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: hero.staff.id },
      });
      const conversation = await contact(org, customer.id, 'WHATSAPP', support.id);
      const dispatcher = await newDispatcher(org);
      await dispatcher.api.ok(AssignConversationDocument, {
        input: { conversationId: conversation.id, staffId: colleague.staff.id },
      });
      const { customer: read } = await org.admin.api.ok(CustomerHeroDocument, { id: customer.id });
      expect(read.dedicatedHero?.agent?.id).toBe(hero.staff.id);
      expect((await routed(org, conversation.id)).assignee?.id).toBe(colleague.staff.id);
      await colleague.api.ok(CloseConversationDocument, {
        input: { conversationId: conversation.id },
      });
      expect((await contact(org, customer.id, 'WHATSAPP', support.id)).assignee?.id).toBe(
        hero.staff.id,
      );
    });

    describe('R5: "What will happen if I am the Dedicated Hero for a Customer, but I am unavailable when my Customer reaches out?"None', () => {
      it.each([
        [
          'VOICE',
          'the Customer will be routed to an available Agent in the default Inbox for Voice',
          'voice',
          'HERO_UNAVAILABLE_VOICE_INBOX',
        ],
        [
          'CHAT',
          'routed to the next available Agent in your Inbox',
          'team',
          'HERO_UNAVAILABLE_HERO_INBOX',
        ],
        [
          'SMS',
          'routed to the next available Agent in your Inbox',
          'team',
          'HERO_UNAVAILABLE_HERO_INBOX',
        ],
        [
          'WHATSAPP',
          'routed to the next available Agent in your Inbox',
          'team',
          'HERO_UNAVAILABLE_HERO_INBOX',
        ],
        ['EMAIL', 'still routed to you regardless of your Availability', 'hero', 'HERO_REGARDLESS'],
        [
          'VOICEMAIL',
          'still routed to you regardless of your Availability',
          'hero',
          'HERO_REGARDLESS',
        ],
      ] as const)('%s: %s', async (channel, _answer, expected, reason) => {
        const { org, support, voice, agent } = await contactCenter();
        const team = await newInbox(org, 'Hero team');
        const hero = await agent('Hero', [support, team], team);
        const teammate = await agent('Teammate', [team]);
        const operator = await agent('Operator', [voice]);
        await Promise.all([online(teammate), online(operator)]);
        await away(hero); // unavailable
        const customer = await newCustomer(org);
        await hero.api.ok(SetDedicatedHeroDocument, {
          input: { customerId: customer.id, agentId: hero.staff.id },
        });
        const conversation = await contact(
          org,
          customer.id,
          channel,
          channel.startsWith('VOICE') ? voice.id : support.id,
        );
        const want = { voice: operator, team: teammate, hero }[expected];
        expect(conversation).toMatchObject({
          assignee: { id: want.staff.id },
          routingReason: reason,
        });
        if (expected === 'voice') expect(conversation.inbox.id).toBe(voice.id);
        if (expected === 'team') expect(conversation.inbox.id).toBe(team.id);
      });
    });

    it('"I assigned another Agent as the Dedicated Hero. Why am I still receiving Contacts from the Customer?" Until it closes or Reassign to Hero', async () => {
      const { org, support, agent } = await contactCenter();
      const [me, hero] = [await agent('Me', [support]), await agent('Hero', [support])];
      await Promise.all([online(me)]);
      const customer = await newCustomer(org);
      const mine = await contact(org, customer.id, 'CHAT', support.id);
      expect(mine.assignee?.id).toBe(me.staff.id);
      await online(hero);
      await org.admin.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: hero.staff.id },
      });
      expect((await routed(org, mine.id)).assignee?.id).toBe(me.staff.id); // still mine
      await me.api.ok(CloseConversationDocument, { input: { conversationId: mine.id } });
      expect((await contact(org, customer.id, 'CHAT', support.id)).assignee?.id).toBe(
        hero.staff.id,
      );
    });
  });

  describe('team manager scenarios', () => {
    it('R7: "I deactivated an Agent that was assigned as the Dedicated Hero to a Customer. What will happen to an existing Conversation?"None', async () => {
      const { org, support, agent } = await contactCenter();
      const hero = await agent('Hero', [support], support);
      const colleague = await agent('Colleague', [support]);
      await online(hero);
      const customer = await newCustomer(org);
      await org.admin.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: hero.staff.id },
      });
      const existing = await contact(org, customer.id, 'CHAT', support.id);
      expect(existing.assignee?.id).toBe(hero.staff.id);
      await online(colleague);
      await server.services.staff.deactivate(org.admin.auth, hero.staff.id);
      // "The Dedicated Hero assignment will remain, but the Agent will be replaced with 'Hero Inbox'."
      const { customer: read } = await org.admin.api.ok(CustomerHeroDocument, { id: customer.id });
      expect(read.dedicatedHero).toEqual({ agent: null, inbox: { id: support.id } });
      // "The Conversation will be reassigned to an available Agent within the current Inbox."
      expect(await routed(org, existing.id)).toMatchObject({
        assignee: { id: colleague.staff.id },
        routingReason: 'ASSIGNEE_DEACTIVATED',
      });
    });

    it('R7: with no agent available, the deactivated agent’s open conversations wait in the queue, and are routed once someone is', async () => {
      const { org, support, agent } = await contactCenter();
      const hero = await agent('Hero', [support], support);
      const later = await agent('Later', [support]);
      await online(hero);
      const customer = await newCustomer(org);
      await org.admin.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: hero.staff.id },
      });
      const open = [
        await contact(org, customer.id, 'CHAT', support.id),
        await contact(org, customer.id, 'SMS', support.id),
      ];
      await server.services.staff.deactivate(org.admin.auth, hero.staff.id);
      for (const conversation of open) {
        expect(await routed(org, conversation.id)).toMatchObject({
          assignee: null,
          routingReason: 'QUEUE',
        });
      }
      await online(later);
      for (const conversation of open) {
        expect(await routed(org, conversation.id)).toMatchObject({
          assignee: { id: later.staff.id },
          routingReason: 'FROM_QUEUE',
        });
      }
    });

    describe('R5: "I assigned an Agent as the Dedicated Hero for a Customer, however, they are not available, what will happen if their Customer contacts in?"None', () => {
      it.each([
        ['VOICE', 'voice'],
        ['SMS', 'team'],
        ['EMAIL', 'hero'],
      ] as const)('%s', async (channel, expected) => {
        const { org, support, voice, agent } = await contactCenter();
        const team = await newInbox(org, 'Dedicated Hero’s Inbox');
        const hero = await agent('Hero', [team], team);
        const [teammate, operator] = [
          await agent('Teammate', [team]),
          await agent('Operator', [voice]),
        ];
        await Promise.all([online(teammate), online(operator)]);
        const customer = await newCustomer(org);
        const manager = await newDispatcher(org);
        await manager.api.ok(SetDedicatedHeroDocument, {
          input: { customerId: customer.id, agentId: hero.staff.id },
        });
        const conversation = await contact(
          org,
          customer.id,
          channel,
          channel === 'VOICE' ? voice.id : support.id,
        );
        expect(conversation.assignee?.id).toBe(
          { voice: operator, team: teammate, hero }[expected].staff.id,
        );
      });
    });

    it('"Consider using a Dedicated Hero team": an inbox as hero routes to its next available agent (R6)', async () => {
      const { org, support, agent } = await contactCenter();
      const team = await newInbox(org, 'Hero team');
      const [a, b] = [await agent('A', [team]), await agent('B', [team])];
      await Promise.all([online(a), online(b)]);
      const customer = await newCustomer(org);
      await org.admin.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, inboxId: team.id },
      });
      const first = await contact(org, customer.id, 'CHAT', support.id);
      const second = await contact(org, customer.id, 'CHAT', support.id);
      expect([first.routingReason, second.routingReason]).toEqual(['HERO_INBOX', 'HERO_INBOX']);
      expect([first.inbox.id, second.inbox.id]).toEqual([team.id, team.id]);
      expect(new Set([first.assignee?.id, second.assignee?.id])).toEqual(
        new Set([a.staff.id, b.staff.id]),
      );
    });

    it('R6: email to a hero team with nobody available waits in that inbox’s queue', async () => {
      const { org, support, agent } = await contactCenter();
      const team = await newInbox(org, 'Hero team');
      const member = await agent('Member', [team]);
      const customer = await newCustomer(org);
      await org.admin.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, inboxId: team.id },
      });
      const email = await contact(org, customer.id, 'EMAIL', support.id);
      expect(email).toMatchObject({
        assignee: null,
        routingReason: 'QUEUE',
        inbox: { id: team.id },
      });
      expect(email.queuedAt).not.toBeNull();
      await online(member);
      expect((await routed(org, email.id)).assignee?.id).toBe(member.staff.id);
    });
  });

  describe('the next available agent (R8) and the queue (R9)', () => {
    it('R8: ties go to the fewest open conversations, then to the longest since their last assignment', async () => {
      const { org, support, agent } = await contactCenter();
      const [a, b, c] = [
        await agent('A', [support]),
        await agent('B', [support]),
        await agent('C', [support]),
      ];
      await Promise.all([online(a), online(b), online(c)]);
      const assignees: string[] = [];
      for (let i = 0; i < 6; i++) {
        const customer = await newCustomer(org);
        assignees.push((await contact(org, customer.id, 'CHAT', support.id)).assignee!.name);
      }
      // Never assigned (oldest) first, then each in the order they were last assigned.
      const firstRound = assignees.slice(0, 3);
      expect(new Set(firstRound)).toEqual(new Set(['A', 'B', 'C']));
      expect(assignees.slice(3)).toEqual(firstRound);
      // One with fewer open conversations goes before one who waited longer.
      const [{ id: toClose }] = await server.dataSource.query(
        `SELECT id FROM conversation WHERE assignee_id = $1 AND status = 'OPEN' LIMIT 1`,
        [{ A: a, B: b, C: c }[firstRound[2]!]!.staff.id],
      );
      await server.services.conversations.close(org.admin.auth, toClose);
      const next = await contact(org, (await newCustomer(org)).id, 'CHAT', support.id);
      expect(next.assignee?.name).toBe(firstRound[2]);
    });

    it('R8: only members, online, not paused, reachable, and under the inbox capacity are available', async () => {
      const { org, support, agent } = await contactCenter();
      await server.services.inboxes.update(org.admin.auth, support.id, { agentCapacity: 1 });
      const [busy, outsider, gone] = [
        await agent('Busy', [support]),
        await agent('Outsider', []),
        await agent('Gone', [support]),
      ];
      await Promise.all([online(busy), online(outsider), online(gone)]);
      await server.dataSource.query(
        `UPDATE client_session SET last_seen_at = now() - interval '1 hour' WHERE staff_id = $1`,
        [gone.staff.id],
      );
      const first = await contact(org, (await newCustomer(org)).id, 'CHAT', support.id);
      expect(first.assignee?.id).toBe(busy.staff.id);
      const second = await contact(org, (await newCustomer(org)).id, 'CHAT', support.id);
      expect(second).toMatchObject({ assignee: null, routingReason: 'QUEUE' }); // Busy is at capacity
    });

    it('R8: the open conversations counted per member, which the ranking reads, follow every routing, reassignment, close and membership change', async () => {
      const { org, support, agent } = await contactCenter();
      const [ann, bob] = [await agent('Ann', [support]), await agent('Bob', [support])];
      await Promise.all([online(ann), online(bob)]);
      const counts = async () =>
        (await server.dataSource.query(
          `SELECT staff_id AS "staffId", open_count AS kept, tandem_open_count(staff_id, inbox_id)::int AS held
             FROM inbox_member WHERE inbox_id = $1 ORDER BY staff_id`,
          [support.id],
        )) as Array<{ staffId: string; kept: number; held: number }>;
      const expectCounts = async (held: Record<string, number>) => {
        const rows = await counts();
        expect(rows.map((row) => [row.staffId, row.kept])).toEqual(
          rows.map((row) => [row.staffId, row.held]),
        );
        expect(Object.fromEntries(rows.map((row) => [row.staffId, row.held]))).toEqual(held);
      };

      const started = [];
      for (let i = 0; i < 3; i++)
        started.push(await contact(org, (await newCustomer(org)).id, 'CHAT', support.id));
      const annHolds = started.filter((c) => c.assignee?.id === ann.staff.id).length;
      await expectCounts({ [ann.staff.id]: annHolds, [bob.staff.id]: 3 - annHolds });

      const dispatcher = await newDispatcher(org, { name: 'Dee' });
      const [first, second] = [started[0]!, started[1]!];
      await dispatcher.api.ok(AssignConversationDocument, {
        input: { conversationId: first.id, staffId: ann.staff.id },
      });
      await dispatcher.api.ok(AssignConversationDocument, {
        input: { conversationId: second.id, staffId: ann.staff.id },
      });
      const byAnn = (await Promise.all(started.map((c) => routed(org, c.id)))).filter(
        (c) => c.assignee?.id === ann.staff.id,
      ).length;
      await expectCounts({ [ann.staff.id]: byAnn, [bob.staff.id]: 3 - byAnn });

      await ann.api.ok(CloseConversationDocument, { input: { conversationId: first.id } });
      await expectCounts({ [ann.staff.id]: byAnn - 1, [bob.staff.id]: 3 - byAnn });

      // Leaving and joining again: the count starts from what the member still holds.
      await server.services.inboxes.setMembers(org.admin.auth, support.id, [bob.staff.id]);
      await server.services.inboxes.setMembers(org.admin.auth, support.id, [
        ann.staff.id,
        bob.staff.id,
      ]);
      await expectCounts({ [ann.staff.id]: byAnn - 1, [bob.staff.id]: 3 - byAnn });
    });

    it('R9: waiting conversations are routed first in, first out, as agents free capacity', async () => {
      const { org, support, agent } = await contactCenter();
      await server.services.inboxes.update(org.admin.auth, support.id, { agentCapacity: 1 });
      const solo = await agent('Solo', [support]);
      await online(solo);
      const conversations = [];
      for (let i = 0; i < 4; i++)
        conversations.push(await contact(org, (await newCustomer(org)).id, 'CHAT', support.id));
      expect(conversations.map((c) => c.assignee?.id ?? null)).toEqual([
        solo.staff.id,
        null,
        null,
        null,
      ]);
      for (let i = 0; i < 3; i++) {
        await solo.api.ok(CloseConversationDocument, {
          input: { conversationId: conversations[i]!.id },
        });
        const states = await Promise.all(conversations.map((c) => routed(org, c.id)));
        // Closed ones keep their assignee; the oldest waiting one is next; the rest still wait.
        expect(
          states.map((s) => (s.status === 'CLOSED' ? 'closed' : (s.assignee?.id ?? null))),
        ).toEqual(
          conversations.map((_, j) => (j <= i ? 'closed' : j === i + 1 ? solo.staff.id : null)),
        );
      }
    });

    it('R9: raising the capacity routes the queue at once', async () => {
      const { org, support, agent } = await contactCenter();
      await server.services.inboxes.update(org.admin.auth, support.id, { agentCapacity: 1 });
      const solo = await agent('Solo', [support]);
      await online(solo);
      const waiting = [];
      for (let i = 0; i < 3; i++)
        waiting.push(await contact(org, (await newCustomer(org)).id, 'CHAT', support.id));
      await server.services.inboxes.update(org.admin.auth, support.id, { agentCapacity: 3 });
      const states = await Promise.all(waiting.map((c) => routed(org, c.id)));
      expect(states.every((s) => s.assignee?.id === solo.staff.id)).toBe(true);
    });

    it('R8: a batch routed from the queue at once goes to the agents R8 would choose one conversation at a time', async () => {
      const { org, support, agent } = await contactCenter();
      await server.services.inboxes.update(org.admin.auth, support.id, { agentCapacity: 1 });
      const team = {
        A: await agent('A', [support]),
        B: await agent('B', [support]),
        C: await agent('C', [support]),
        D: await agent('D', [support]),
      };
      await Promise.all(Object.values(team).map(online));
      const start = async () => contact(org, (await newCustomer(org)).id, 'CHAT', support.id);
      for (let i = 0; i < 4; i++) await start(); // one each: everyone at capacity
      const dispatcher = await newDispatcher(org, { name: 'Dee' });
      for (const member of [team.A, team.A, team.B])
        await dispatcher.api.ok(AssignConversationDocument, {
          input: { conversationId: (await start()).id, staffId: member.staff.id },
        });
      const waiting = [];
      for (let i = 0; i < 6; i++) waiting.push(await start());
      // Held: A 3, B 2, C 1, D 1. Last assigned: D longest ago, then A, B, C.
      for (const [name, minutesAgo] of [
        ['D', 4],
        ['A', 3],
        ['B', 2],
        ['C', 1],
      ] as const)
        await server.dataSource.query(
          `UPDATE staff SET last_assigned_at = now() - make_interval(mins => $2) WHERE id = $1`,
          [team[name].staff.id, minutesAgo],
        );

      await server.services.inboxes.update(org.admin.auth, support.id, { agentCapacity: 5 });

      // One at a time: D and C (1 each, D waited longer), B (2; D and C now just assigned),
      // D, C (2 each), then A (3, waited longest among the 3s).
      const names = Object.fromEntries(Object.entries(team).map(([name, m]) => [m.staff.id, name]));
      const states = await Promise.all(waiting.map((c) => routed(org, c.id)));
      expect(states.map((s) => names[s.assignee?.id ?? ''] ?? null)).toEqual([
        'D',
        'C',
        'B',
        'D',
        'C',
        'A',
      ]);
      const decisions = (await server.dataSource.query(
        `SELECT count(DISTINCT at)::int AS instants FROM routing_decision
          WHERE conversation_id = ANY ($1) AND reason = 'FROM_QUEUE'`,
        [waiting.map((c) => c.id)],
      )) as Array<{ instants: number }>;
      expect(decisions[0]?.instants).toBe(1); // one batch: one decision
    });

    it('R9: a routing from the queue announces the conversation as the server shows it, to the inbox (ROUTED) and to the agent (ASSIGNED)', async () => {
      const { org, support, agent } = await contactCenter();
      const solo = await agent('Solo', [support]);
      const waiting = await contact(org, (await newCustomer(org)).id, 'CHAT', support.id);
      await online(solo);
      expect((await routed(org, waiting.id)).assignee?.id).toBe(solo.staff.id);

      const conversation = await server.dataSource.manager.findOneByOrFail(Conversation, {
        id: waiting.id,
      });
      const announced = (await server.dataSource.query(
        `SELECT stream, payload FROM event_log
          WHERE payload -> 'conversation' ->> 'id' = $1 AND payload ->> 'kind' IN ('ROUTED', 'ASSIGNED')
          ORDER BY stream`,
        [waiting.id],
      )) as Array<{ stream: string; payload: Record<string, unknown> }>;
      expect(announced).toEqual([
        {
          stream: Streams.inboxConversations(org.id, support.id),
          payload: { kind: 'ROUTED', actor: SYSTEM_ACTOR, conversation: snapshotOf(conversation) },
        },
        {
          stream: Streams.staffAssignments(org.id, solo.staff.id),
          payload: {
            kind: 'ASSIGNED',
            actor: SYSTEM_ACTOR,
            conversation: snapshotOf(conversation),
          },
        },
      ]);
    });

    it('R10: every routing decision is recorded and explains itself', async () => {
      const { org, support, agent } = await contactCenter();
      const solo = await agent('Solo', [support]);
      const conversation = await contact(org, (await newCustomer(org)).id, 'CHAT', support.id);
      await online(solo);
      const dispatcher = await newDispatcher(org, { name: 'Dee' });
      const other = await agent('Other', [support]);
      await dispatcher.api.ok(AssignConversationDocument, {
        input: { conversationId: conversation.id, staffId: other.staff.id },
      });
      const { routingHistory, routingReason } = await routed(org, conversation.id);
      expect(routingReason).toBe('MANUAL');
      expect(
        routingHistory.map((d) => [d.reason, d.assignee?.id ?? null, d.decidedBy.kind]),
      ).toEqual([
        ['QUEUE', null, 'STAFF'],
        ['FROM_QUEUE', solo.staff.id, 'SYSTEM'],
        ['MANUAL', other.staff.id, 'STAFF'],
      ]);
      expect(routingHistory[2]?.note).toBe('Dee assigned it to Other');
    });

    it('an agent taking a conversation for themselves past the capacity is refused with CAPACITY_REACHED', async () => {
      const { org, support, agent } = await contactCenter();
      await server.services.inboxes.update(org.admin.auth, support.id, { agentCapacity: 1 });
      const taker = await agent('Taker', [support]);
      await online(taker);
      await contact(org, (await newCustomer(org)).id, 'CHAT', support.id); // theirs: at capacity
      const waiting = await contact(org, (await newCustomer(org)).id, 'CHAT', support.id);
      const error = await taker.api.fails(AssignConversationDocument, {
        input: { conversationId: waiting.id, staffId: taker.staff.id },
      });
      expect(error.extensions).toMatchObject({ code: 'CAPACITY_REACHED', capacity: 1 });
      expect((await routed(org, waiting.id)).assignee).toBeNull();
    });
  });

  describe('bad input for heroes', () => {
    it('refuses a hero of another organization, an inactive agent, both an agent and an inbox, or neither, and writes nothing', async () => {
      const { org, support, agent } = await contactCenter();
      const other = await newOrg(server);
      const foreign = await newAgent(other);
      const retired = await agent('Retired', [support]);
      await server.services.staff.deactivate(org.admin.auth, retired.staff.id);
      const customer = await newCustomer(org);
      const attempts = [
        [{ agentId: foreign.staff.id }, 'NOT_FOUND'],
        [{ inboxId: other.inbox.id }, 'NOT_FOUND'],
        [{ agentId: retired.staff.id }, 'BAD_USER_INPUT'],
        [
          { agentId: (await agent('Ok', [support])).staff.id, inboxId: support.id },
          'BAD_USER_INPUT',
        ],
        [{}, 'BAD_USER_INPUT'],
      ] as const;
      for (const [target, code] of attempts) {
        const error = await org.admin.api.fails(SetDedicatedHeroDocument, {
          input: { customerId: customer.id, ...target },
        });
        expect(error.extensions?.code).toBe(code);
      }
      const [{ n }] = await server.dataSource.query(
        'SELECT count(*)::int AS n FROM dedicated_hero WHERE customer_id = $1',
        [customer.id],
      );
      expect(n).toBe(0);
    });

    it('lets an agent make only themselves a hero', async () => {
      const { org, support, agent } = await contactCenter();
      const [me, colleague] = [await agent('Me', [support]), await agent('Colleague', [support])];
      const customer = await newCustomer(org);
      const forOther = await me.api.fails(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: colleague.staff.id },
      });
      const forTeam = await me.api.fails(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, inboxId: support.id },
      });
      expect([forOther.extensions?.code, forTeam.extensions?.code]).toEqual([
        'FORBIDDEN',
        'FORBIDDEN',
      ]);
      await me.api.ok(SetDedicatedHeroDocument, {
        input: { customerId: customer.id, agentId: me.staff.id },
      });
    });
  });
});
