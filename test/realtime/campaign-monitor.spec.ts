import { Role } from '../../src/entities/enums';
import type { Campaign } from '../../src/entities/campaign.entity';
import { MonitorStore } from '../../src/services/supervision/monitor.store';
import {
  AbandonInteractionDocument,
  CampaignMonitorDocument,
  type CampaignMonitorFieldsFragment,
  CampaignMonitorUpdatesDocument,
  CloseConversationDocument,
  DisconnectAgentDocument,
  PauseAgentDocument,
  ResumeAgentDocument,
  SetCampaignServiceLevelDocument,
  SetMyStatusDocument,
  SetOrganizationDayDocument,
  TakeInteractionDocument,
  UpdateStaffDocument,
} from '../generated/graphql';
import { GraphQLClient } from '../support/client';
import { newArrival, newCampaign } from '../support/campaigns';
import {
  eventually,
  newAgent,
  newCustomer,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../support/factories';
import { startTwoInstances, type TestServer } from '../support/server';
import { connect, errorCodeOf, subscribe } from '../support/ws';

const ZONE = 'Asia/Kolkata'; // UTC+05:30: a day boundary that is not on a UTC hour

/** HH:MM of an instant in a time zone. */
function localTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

/** YYYY-MM-DD of an instant in a time zone. */
function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
}

describe('campaign monitoring (C9)', () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;
  const store = new MonitorStore();

  beforeAll(async () => {
    ({ a, b, stop } = await startTwoInstances());
  });
  afterAll(() => stop());

  it('C9: campaignMonitor equals hand-computed figures for a scripted day (arrivals, takes within and past the threshold, abandons on both sides of the short-abandon time, handle times) whose boundary is a reset time in a non-UTC zone; the counters equal a recount', async () => {
    const org = await newOrg(a);
    const [ana, bo, supervisor] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newSupervisor(org),
    ]);
    // Today began an hour ago, at a reset time of Kolkata (whole minutes).
    const dayStart = new Date(Math.floor((Date.now() - 60 * 60_000) / 60_000) * 60_000);
    const { updateOrganization } = await org.admin.api.ok(SetOrganizationDayDocument, {
      input: { timeZone: ZONE, dayResetTime: localTime(dayStart, ZONE) },
    });
    expect(updateOrganization.organization).toMatchObject({
      timeZone: ZONE,
      dayResetTime: localTime(dayStart, ZONE),
    });
    const campaign = await newCampaign(org, {
      members: [ana, bo],
      serviceLevelSeconds: 20,
      shortAbandonSeconds: 10,
      abandonAfterSeconds: 7 * 24 * 3600, // the scripted waits are long: no sweep meanwhile
    });
    const customer = await newCustomer(org);
    const at = (minutes: number, seconds = 0) =>
      new Date(dayStart.getTime() + minutes * 60_000 + seconds * 1000);
    const sql = (text: string, values: unknown[]) => a.dataSource.query(text, values);
    // The day is scripted in SQL with chosen times: the counting rule is the triggers', whatever
    // writes the rows (the next test goes through the API).
    const arrive = async (when: Date): Promise<string> => {
      const [row] = (await sql(
        `INSERT INTO conversation (organization_id, customer_id, channel, inbox_id, campaign_id,
                                   direction, status, routing_reason, waiting_since, created_at)
         VALUES ($1, $2, 'WHATSAPP', $3, $4, 'INCOMING', 'OPEN', 'QUEUE', $5, $5) RETURNING id`,
        [org.id, customer.id, campaign.inboxId, campaign.id, when],
      )) as Array<{ id: string }>;
      return row!.id;
    };
    const take = (id: string, agent: Member, when: Date) =>
      sql(
        `UPDATE conversation SET assignee_id = $2, routing_reason = 'TAKEN', taken_at = $3 WHERE id = $1`,
        [id, agent.staff.id, when],
      );
    const close = (id: string, when: Date) =>
      sql(`UPDATE conversation SET status = 'CLOSED', closed_at = $2 WHERE id = $1`, [id, when]);
    const abandon = (id: string, when: Date) =>
      sql(
        `UPDATE conversation SET status = 'CLOSED', closed_at = $2, routing_reason = 'ABANDONED' WHERE id = $1`,
        [id, when],
      );

    // Yesterday, and across the boundary.
    const crossed = await arrive(at(-5)); // offered yesterday, answered today after 360 s
    await take(crossed, ana, at(1));
    await close(crossed, at(11)); // handled today: 600 s
    const leftYesterday = await arrive(at(-10));
    await abandon(leftYesterday, at(-2)); // abandoned yesterday (480 s)
    const leftToday = await arrive(at(-3));
    await abandon(leftToday, at(0, 10)); // abandoned today after 190 s: counts
    // Today.
    const quick = await arrive(at(2));
    await take(quick, bo, at(2, 15)); // 15 s: within the threshold
    await close(quick, at(5)); // handled: 165 s
    const held = await arrive(at(3));
    await take(held, ana, at(3, 20)); // 20 s: within (wait <= threshold); still open
    const short = await arrive(at(4));
    await abandon(short, at(4, 9)); // 9 s: a short abandon
    const long = await arrive(at(6));
    await abandon(long, at(6, 40)); // 40 s: an abandon
    const waiting = await arrive(at(7)); // still waiting
    await a.dataSource.query(`UPDATE staff SET status = 'AWAY' WHERE id = $1`, [bo.staff.id]);
    await supervisor.api.ok(PauseAgentDocument, {
      input: { agentId: bo.staff.id, reason: 'Coaching' },
    });

    const { campaignMonitor } = await supervisor.api.ok(CampaignMonitorDocument, {
      campaignId: campaign.id,
    });
    expect(campaignMonitor.dayStartsAt).toBe(dayStart.toISOString());
    expect(campaignMonitor.day).toBe(localDate(dayStart, ZONE));
    expect(campaignMonitor).toMatchObject({
      campaign: { id: campaign.id },
      waitingCount: 1,
      oldestWaitingSince: at(7).toISOString(),
      offered: 5, // quick, held, short, long, waiting
      answered: 3, // crossed, quick, held
      answeredWithinThreshold: 2, // quick (15 s), held (20 s)
      abandoned: 3, // leftToday, short, long
      shortAbandoned: 1, // short (9 s < 10 s)
      handled: 2, // crossed, quick
    });
    // 2 within / (3 answered + 3 abandoned - 1 short) = 40 %.
    expect(campaignMonitor.serviceLevel).toBeCloseTo(40, 9);
    expect(campaignMonitor.averageWaitSeconds).toBeCloseTo((360 + 15 + 20) / 3, 9);
    expect(campaignMonitor.averageHandleSeconds).toBeCloseTo((600 + 165) / 2, 9);
    const longest = Math.floor((Date.parse(campaignMonitor.at) - at(7).getTime()) / 1000);
    expect(campaignMonitor.longestWaitSeconds).toBe(longest);
    const byAgent = new Map(campaignMonitor.members.map((m) => [m.agent.id, m]));
    expect(byAgent.get(ana.staff.id)).toMatchObject({
      paused: false,
      pauseReason: null,
      activeInteractions: [{ id: held }],
    });
    expect(byAgent.get(bo.staff.id)).toMatchObject({
      status: 'AWAY',
      paused: true,
      pauseReason: 'Coaching',
      activeInteractions: [],
    });
    expect(waiting).toBeTruthy();

    // Abandons no longer counting: 2 within / 3 answered.
    await org.admin.api.ok(SetCampaignServiceLevelDocument, {
      input: { campaignId: campaign.id, serviceLevelCountsAbandoned: false },
    });
    const again = await supervisor.api.ok(CampaignMonitorDocument, { campaignId: campaign.id });
    expect(again.campaignMonitor.serviceLevel).toBeCloseTo((2 / 3) * 100, 9);

    // Yesterday's counters, and both days equal to a recount of the interactions.
    const today = campaignMonitor.day;
    const yesterday = await store.dayOf(a.dataSource.manager, org.id, at(0, -1));
    expect(yesterday).not.toBe(today);
    expect(await store.counters(a.dataSource.manager, campaign.id, yesterday)).toEqual({
      offered: 3, // crossed, leftYesterday, leftToday
      answered: 0,
      answeredInThreshold: 0,
      waitMs: 0,
      abandoned: 1, // leftYesterday
      shortAbandoned: 0,
      handled: 0,
      handleMs: 0,
    });
    for (const day of [yesterday, today])
      expect(await store.counters(a.dataSource.manager, campaign.id, day)).toEqual(
        await store.recount(a.dataSource.manager, campaign.id, day),
      );
  }, 60_000);

  it('C9: the counters follow the real paths (arrival, take, close, a bot abandon, a disconnect requeue and a second take, the abandon sweep) and equal a recount', async () => {
    const org = await newOrg(a);
    const [ana, bo, supervisor] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newSupervisor(org),
    ]);
    const campaign = await newCampaign(org, {
      members: [ana, bo],
      abandonAfterSeconds: 4,
      shortAbandonSeconds: 2,
    });
    const { key } = await a.services.apiKeys.create(org.admin.auth, 'Bot', Role.INTEGRATION);
    const bot = new GraphQLClient(a.url, key);
    const first = await newArrival(a, campaign);
    const second = await newArrival(b, campaign);
    const third = await newArrival(a, campaign);
    // The customer leaves at once: a short abandon.
    await bot.ok(AbandonInteractionDocument, { input: { conversationId: third.conversationId } });
    const take = (member: Member) =>
      member.api.ok(TakeInteractionDocument, { input: { campaignId: campaign.id } });
    expect((await take(ana)).takeInteraction.conversation?.id).toBe(first.conversationId);
    expect((await take(bo)).takeInteraction.conversation?.id).toBe(second.conversationId);
    await ana.api.ok(CloseConversationDocument, {
      input: { conversationId: first.conversationId },
    });
    const [{ taken_at: firstTake }] = (await a.dataSource.query(
      'SELECT taken_at FROM conversation WHERE id = $1',
      [second.conversationId],
    )) as Array<{ taken_at: Date }>;
    await supervisor.api.ok(DisconnectAgentDocument, { input: { agentId: bo.staff.id } });
    expect((await take(ana)).takeInteraction.conversation?.id).toBe(second.conversationId);
    // A requeued interaction taken again keeps its first take (answered once).
    const [{ taken_at: takenAt }] = (await a.dataSource.query(
      'SELECT taken_at FROM conversation WHERE id = $1',
      [second.conversationId],
    )) as Array<{ taken_at: Date }>;
    expect(takenAt).toEqual(firstTake);
    await newArrival(a, campaign); // left waiting: the sweep abandons it after 4 s
    const monitor = async () =>
      (await supervisor.api.ok(CampaignMonitorDocument, { campaignId: campaign.id }))
        .campaignMonitor;
    await eventually(async () => (await monitor()).abandoned === 2, 10_000, 'the sweep abandons');
    const figures = await monitor();
    expect(figures).toMatchObject({
      waitingCount: 0,
      offered: 4,
      answered: 2,
      abandoned: 2,
      shortAbandoned: 1, // the bot's, at once; the sweep's came after 4 s
      handled: 1,
    });
    expect(figures.members.find((m) => m.agent.id === ana.staff.id)?.activeInteractions).toEqual([
      { id: second.conversationId },
    ]);
    expect(await store.counters(a.dataSource.manager, campaign.id, figures.day)).toEqual(
      await store.recount(a.dataSource.manager, campaign.id, figures.day),
    );
  }, 60_000);

  it('C9: campaignMonitorUpdates pushes fresh figures on each change to every watcher, computed once per campaign per instance (not per watcher), at most once a second; pause and resume are on it (C12)', async () => {
    const org = await newOrg(a);
    const [ana, supervisor] = await Promise.all([newAgent(org), newSupervisor(org)]);
    const campaign = await newCampaign(org, { members: [ana] });
    const watchers = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async () => {
        const socket = await connect(b.wsUrl, supervisor.token);
        return subscribe(socket, CampaignMonitorUpdatesDocument, { campaignId: campaign.id });
      }),
    );
    const nextOf = async (index: number, timeoutMs = 5000) =>
      (await watchers[index]!.nextData(timeoutMs)).campaignMonitorUpdates;
    const nextOfAll = () => Promise.all(watchers.map((_, index) => nextOf(index)));
    for (const first of await nextOfAll())
      expect(first).toMatchObject({ waitingCount: 0, offered: 0 });

    const computed = b.services.campaignMonitor.computations;
    await newArrival(a, campaign);
    const arrived = await nextOfAll();
    for (const update of arrived) expect(update).toMatchObject({ waitingCount: 1, offered: 1 });
    // Computed once for the six watchers (a signal during it, or the 5 s sweep, may add one each).
    expect(b.services.campaignMonitor.computations - computed).toBeLessThanOrEqual(3);

    // A burst: updates at most once a second, the last one with everything.
    const times: number[] = [Date.now()];
    for (let i = 0; i < 3; i++) await newArrival(a, campaign);
    let latest: CampaignMonitorFieldsFragment = arrived[0]!;
    while (latest.waitingCount < 4) {
      latest = await nextOf(0);
      times.push(Date.now());
    }
    expect(latest).toMatchObject({ waitingCount: 4, offered: 4 });
    for (let i = 2; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);
    for (const index of [1, 2, 3, 4, 5])
      await eventually(async () => (await nextOf(index)).waitingCount === 4, 5000, 'caught up');

    await ana.api.ok(TakeInteractionDocument, { input: { campaignId: campaign.id } });
    const taken = await nextOf(0);
    expect(taken).toMatchObject({ waitingCount: 3, answered: 1 });
    expect(taken.members[0]!.activeInteractions).toHaveLength(1);

    await supervisor.api.ok(PauseAgentDocument, {
      input: { agentId: ana.staff.id, reason: 'Team briefing' },
    });
    expect((await nextOf(0)).members[0]).toMatchObject({
      agent: { id: ana.staff.id },
      paused: true,
      pauseReason: 'Team briefing',
    });
    await supervisor.api.ok(ResumeAgentDocument, { input: { agentId: ana.staff.id } });
    expect((await nextOf(0)).members[0]).toMatchObject({ paused: false, pauseReason: null });
    await ana.api.ok(SetMyStatusDocument, { input: { status: 'AWAY' } });
    expect((await nextOf(0)).members[0]).toMatchObject({ status: 'AWAY' });
  }, 60_000);

  it("C9: monitoring is for SUPERVISOR and ADMIN (an AGENT is FORBIDDEN), another organization's campaign is NOT_FOUND, and a supervisor demoted mid-stream stops receiving (FORBIDDEN)", async () => {
    const org: Org = await newOrg(a);
    const [agent, supervisor] = await Promise.all([newAgent(org), newSupervisor(org)]);
    const campaign: Campaign = await newCampaign(org, { members: [agent] });
    const input = { campaignId: campaign.id };
    expect((await agent.api.fails(CampaignMonitorDocument, input)).extensions?.code).toBe(
      'FORBIDDEN',
    );
    const elsewhere = await newSupervisor(await newOrg(a));
    expect((await elsewhere.api.fails(CampaignMonitorDocument, input)).extensions?.code).toBe(
      'NOT_FOUND',
    );
    await org.admin.api.ok(CampaignMonitorDocument, input);

    const updates = subscribe(
      await connect(b.wsUrl, supervisor.token),
      CampaignMonitorUpdatesDocument,
      input,
    );
    await updates.nextData();
    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: supervisor.staff.id, role: 'AGENT' },
    });
    await newArrival(a, campaign);
    const ended = await updates.next();
    expect(ended.data).toBeFalsy();
    expect(errorCodeOf(ended)).toBe('FORBIDDEN');
  }, 60_000);
});
