import {
  type AssistReportGroup,
  AssistReportDocument,
  AssistTimesheetDocument,
  UpdateOrganizationDocument,
} from '../generated/graphql';
import {
  newAgent,
  newCustomer,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

/**
 * Reports over a history of sessions written straight to the table (no API makes past
 * sessions), with the figures worked out by hand below. The organization is in Europe/Paris:
 * CET (UTC+1) until 2026-03-29 02:00, then CEST (UTC+2). Every time is written in UTC.
 */
describe('assist reports', () => {
  let server: TestServer;
  let org: Org;
  let ada: Member;
  let bo: Member;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    [ada, bo] = await Promise.all([newAgent(org, { name: 'Ada' }), newAgent(org, { name: 'Bo' })]);
    const customer = await newCustomer(org);
    await org.admin.api.ok(UpdateOrganizationDocument, { input: { timeZone: 'Europe/Paris' } });
    const session = (
      who: Member,
      service: string,
      channel: string,
      outcome: string | null,
      startedAt: string,
      endedAt: string | null,
      expiresAt = '2099-01-01T00:00:00Z',
    ) =>
      server.dataSource.query(
        `INSERT INTO assist_session (organization_id, staff_id, customer_id, channel, service,
                                     started_at, expires_at, ended_at, outcome, ended_by_kind, ended_by_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $8::timestamptz IS NULL THEN NULL ELSE 'STAFF' END, $10)`,
        [
          org.id,
          who.staff.id,
          customer.id,
          channel,
          service,
          startedAt,
          expiresAt,
          endedAt,
          outcome,
          who.staff.name,
        ],
      );
    // S10: Paris 03-10 00:10-00:40 (UTC: still 03-09).
    await session(ada, 'Bins', 'CHAT', 'RESOLVED', '2026-03-09T23:10:00Z', '2026-03-09T23:40:00Z');
    // S1: Paris 03-10 10:00-10:30.
    await session(
      ada,
      'Council tax',
      'VOICE',
      'RESOLVED',
      '2026-03-10T09:00:00Z',
      '2026-03-10T09:30:00Z',
    );
    // S2a: across midnight, Paris 03-10 23:40 - 03-11 00:20: all of it on 03-10, where it started.
    await session(
      ada,
      'Council tax',
      'CHAT',
      'FOLLOW_UP',
      '2026-03-10T22:40:00Z',
      '2026-03-10T23:20:00Z',
    );
    // S2b: Paris 03-11 00:30-01:00 (UTC: 03-10).
    await session(
      ada,
      'Council tax',
      'VOICE',
      'RESOLVED',
      '2026-03-10T23:30:00Z',
      '2026-03-11T00:00:00Z',
    );
    // S6: left open past its maximum (2 h), not ended by the job yet: TIMED_OUT, 7200 s.
    await session(ada, 'Bins', 'EMAIL', null, '2026-03-12T08:00:00Z', null, '2026-03-12T10:00:00Z');
    // S3: across the change to summer time, Paris 01:30 CET - 03:30 CEST: one real hour.
    await session(
      bo,
      'Parking',
      'VOICE',
      'ESCALATED',
      '2026-03-29T00:30:00Z',
      '2026-03-29T01:30:00Z',
    );
    // S8: Paris 03-29 23:30 CEST - 03-30 00:15 CEST: on 03-29.
    await session(
      bo,
      'Parking',
      'CHAT',
      'RESOLVED',
      '2026-03-29T21:30:00Z',
      '2026-03-29T22:15:00Z',
    );
    // S9: Paris 03-30 00:30 CEST (UTC: still 03-29): after the range in Paris, inside it in UTC.
    await session(
      bo,
      'Parking',
      'VOICE',
      'RESOLVED',
      '2026-03-29T22:30:00Z',
      '2026-03-29T22:45:00Z',
    );
    // Open (not ended, not past its maximum): no time spent yet, so not counted.
    await session(bo, 'Parking', 'VOICE', null, '2026-03-15T09:00:00Z', null);
  });
  afterAll(() => server.stop());

  const report = async (
    groupBy: AssistReportGroup,
    timeZone?: string,
    from = '2026-03-10',
    to = '2026-03-29',
  ) =>
    (await org.admin.api.ok(AssistReportDocument, { input: { from, to, groupBy, timeZone } }))
      .assistReport;

  it("A6: grouped by service, in the organization's time zone: counts, totals and averages as worked out by hand, a session across midnight counted whole on the day it started", async () => {
    const byService = await report('SERVICE');
    expect(byService).toMatchObject({
      timeZone: 'Europe/Paris',
      from: '2026-03-10',
      to: '2026-03-29',
    });
    expect(byService.lines).toEqual([
      // S6 7200 + S10 1800
      { key: 'Bins', sessions: 2, totalSeconds: 9000, averageSeconds: 4500, agent: null },
      // S3 3600 (one real hour across the change of time) + S8 2700; S9 is on 03-30 in Paris
      { key: 'Parking', sessions: 2, totalSeconds: 6300, averageSeconds: 3150, agent: null },
      // S1 1800 + S2a 2400 (across midnight) + S2b 1800
      { key: 'Council tax', sessions: 3, totalSeconds: 6000, averageSeconds: 2000, agent: null },
    ]);
    expect(byService.totals).toEqual({
      sessions: 7,
      totalSeconds: 21300,
      averageSeconds: 3042.857,
    });
  });

  it('A6: grouped by agent, channel and outcome (a session past its maximum is TIMED_OUT)', async () => {
    const byAgent = await report('AGENT');
    expect(byAgent.lines).toEqual([
      {
        key: ada.staff.id,
        agent: { id: ada.staff.id, name: 'Ada' },
        sessions: 5,
        totalSeconds: 15000,
        averageSeconds: 3000,
      },
      {
        key: bo.staff.id,
        agent: { id: bo.staff.id, name: 'Bo' },
        sessions: 2,
        totalSeconds: 6300,
        averageSeconds: 3150,
      },
    ]);
    const byChannel = await report('CHANNEL');
    expect(byChannel.lines.map((l) => [l.key, l.sessions, l.totalSeconds])).toEqual([
      ['EMAIL', 1, 7200],
      ['VOICE', 3, 7200],
      ['CHAT', 3, 6900],
    ]);
    const byOutcome = await report('OUTCOME');
    expect(
      byOutcome.lines.map((l) => [l.key, l.sessions, l.totalSeconds, l.averageSeconds]),
    ).toEqual([
      ['RESOLVED', 4, 8100, 2025],
      ['TIMED_OUT', 1, 7200, 7200],
      ['ESCALATED', 1, 3600, 3600],
      ['FOLLOW_UP', 1, 2400, 2400],
    ]);
  });

  it('A6: in another time zone, the days are that zone’s: UTC takes S9 in and leaves S10 out', async () => {
    const inUtc = await report('AGENT', 'UTC');
    expect(inUtc.timeZone).toBe('UTC');
    expect(inUtc.lines.map((l) => [l.agent?.name, l.sessions, l.totalSeconds])).toEqual([
      // S1 1800 + S2a 2400 + S2b 1800 + S6 7200 (S10 is on 03-09 in UTC)
      ['Ada', 4, 13200],
      // S3 3600 + S8 2700 + S9 900
      ['Bo', 3, 7200],
    ]);
    expect(inUtc.totals).toEqual({ sessions: 7, totalSeconds: 20400, averageSeconds: 2914.286 });
  });

  it('A6: one day: the day of the change to summer time (23 hours) holds the sessions that started in it', async () => {
    const dstDay = await report('SERVICE', undefined, '2026-03-29', '2026-03-29');
    expect(dstDay.lines).toEqual([
      { key: 'Parking', sessions: 2, totalSeconds: 6300, averageSeconds: 3150, agent: null },
    ]);
    const nextDay = await report('SERVICE', undefined, '2026-03-30', '2026-03-30');
    expect(nextDay.lines.map((l) => [l.key, l.sessions, l.totalSeconds])).toEqual([
      ['Parking', 1, 900],
    ]);
    const empty = await report('SERVICE', undefined, '2026-02-01', '2026-02-28');
    expect(empty).toMatchObject({
      lines: [],
      totals: { sessions: 0, totalSeconds: 0, averageSeconds: 0 },
    });
  });

  it('A5: a timesheet gives every day of the range, in the organization’s time zone, with its entries', async () => {
    const { assistTimesheet } = await ada.api.ok(AssistTimesheetDocument, {
      agentId: ada.staff.id,
      from: '2026-03-09',
      to: '2026-03-12',
    });
    expect(assistTimesheet).toMatchObject({
      timeZone: 'Europe/Paris',
      sessions: 5,
      totalSeconds: 15000,
    });
    expect(assistTimesheet.days).toEqual([
      { date: '2026-03-09', sessions: 0, totalSeconds: 0 },
      // S10, S1, S2a (across midnight, whole)
      { date: '2026-03-10', sessions: 3, totalSeconds: 6000 },
      { date: '2026-03-11', sessions: 1, totalSeconds: 1800 },
      { date: '2026-03-12', sessions: 1, totalSeconds: 7200 },
    ]);
    expect(assistTimesheet.entries.totalCount).toBe(5);
    expect(
      assistTimesheet.entries.edges.map((e) => [e.node.startedAt, e.node.secondsSpent]),
    ).toEqual([
      ['2026-03-12T08:00:00.000Z', 7200],
      ['2026-03-10T23:30:00.000Z', 1800],
      ['2026-03-10T22:40:00.000Z', 2400],
      ['2026-03-10T09:00:00.000Z', 1800],
      ['2026-03-09T23:10:00.000Z', 1800],
    ]);
    expect(assistTimesheet.entries.edges[0]?.node.outcome).toBe('TIMED_OUT');
  });

  it('A5: across the change to summer time the days of a timesheet are 23 hours long where they must be', async () => {
    const paris = await org.admin.api.ok(AssistTimesheetDocument, {
      agentId: bo.staff.id,
      from: '2026-03-28',
      to: '2026-03-30',
    });
    expect(paris.assistTimesheet.days).toEqual([
      { date: '2026-03-28', sessions: 0, totalSeconds: 0 },
      { date: '2026-03-29', sessions: 2, totalSeconds: 6300 },
      { date: '2026-03-30', sessions: 1, totalSeconds: 900 },
    ]);
    const utc = await org.admin.api.ok(AssistTimesheetDocument, {
      agentId: bo.staff.id,
      from: '2026-03-28',
      to: '2026-03-30',
      timeZone: 'UTC',
    });
    expect(utc.assistTimesheet.days).toEqual([
      { date: '2026-03-28', sessions: 0, totalSeconds: 0 },
      { date: '2026-03-29', sessions: 3, totalSeconds: 7200 },
      { date: '2026-03-30', sessions: 0, totalSeconds: 0 },
    ]);
  });

  it('A6: reports are for supervisors and admins; agents read only their own timesheet', async () => {
    const supervisor = await newSupervisor(org);
    expect(
      (
        await supervisor.api.ok(AssistReportDocument, {
          input: { from: '2026-03-10', to: '2026-03-10', groupBy: 'AGENT' },
        })
      ).assistReport.totals.sessions,
    ).toBe(3);
    const refused = await ada.api.fails(AssistReportDocument, {
      input: { from: '2026-03-10', to: '2026-03-10', groupBy: 'AGENT' },
    });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    const other = await ada.api.fails(AssistTimesheetDocument, {
      agentId: bo.staff.id,
      from: '2026-03-10',
      to: '2026-03-10',
    });
    expect(other.extensions?.code).toBe('FORBIDDEN');
    await supervisor.api.ok(AssistTimesheetDocument, {
      agentId: bo.staff.id,
      from: '2026-03-10',
      to: '2026-03-10',
    });
  });

  it('A6: a range backwards or over 366 days, a day that does not exist, or an unknown zone is BAD_USER_INPUT', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ from: '2026-03-10', to: '2026-03-09' }, 'to'],
      [{ from: '2025-01-01', to: '2026-01-02' }, 'to'],
      [{ from: '2026-02-30', to: '2026-03-01' }, 'from'],
      [{ from: '2026-03-01', to: '2026-03-02', timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    ];
    for (const [input, field] of cases) {
      const error = await org.admin.api.fails(AssistReportDocument, {
        input: { groupBy: 'SERVICE', ...input } as never,
      });
      expect([input, error.extensions?.code]).toEqual([input, 'BAD_USER_INPUT']);
      expect(String(error.extensions?.field)).toContain(field);
    }
  });
});
