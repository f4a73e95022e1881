import {
  DeactivateStaffDocument,
  EndAssistingDocument,
  MyActiveAssistDocument,
  SignOutDocument,
  StaffActiveAssistDocument,
  StartAssistingDocument,
  UpdateStaffDocument,
} from '../generated/graphql';
import { AssistOutcome } from '../../src/entities/assist-session.entity';
import { AuthorKind } from '../../src/entities/enums';
import { UnitOfWork } from '../../src/db/unit-of-work';
import { createLogger } from '../../src/logger';
import { AssistStore } from '../../src/services/assist/assist.store';
import {
  eventually,
  newAgent,
  newCustomer,
  newOrg,
  newSupervisor,
  PASSWORD,
  signIn,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { openWindow } from '../support/windows';

describe('assist sessions', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  const start = (member: Member, customerId: string | null, service = 'Council tax') =>
    member.api.request(StartAssistingDocument, {
      input: { customerId, channel: 'VOICE', service, reason: 'Called in' },
    });

  const sessionsOf = async (staffId: string) =>
    (await server.dataSource.query(
      `SELECT id, customer_id, outcome, ended_at, started_at, expires_at, ended_by_kind
         FROM assist_session WHERE staff_id = $1 ORDER BY started_at`,
      [staffId],
    )) as Array<{
      id: string;
      customer_id: string | null;
      outcome: string | null;
      ended_at: Date | null;
      started_at: Date;
      expires_at: Date;
      ended_by_kind: string | null;
    }>;

  it('A3: starting assisting names the customer, channel, service and start; the banner (A7) shows it', async () => {
    const [agent, customer] = await Promise.all([
      newAgent(org, { name: 'Ada' }),
      newCustomer(org, { name: 'Mrs Patel' }),
    ]);
    const { data } = await start(agent, customer.id);
    const session = data!.startAssisting.session;
    expect(session).toMatchObject({
      channel: 'VOICE',
      service: 'Council tax',
      reason: 'Called in',
      endedAt: null,
      outcome: null,
      staff: { id: agent.staff.id, name: 'Ada' },
      customer: { id: customer.id, name: 'Mrs Patel' },
    });
    const minutes = (Date.parse(session.expiresAt) - Date.parse(session.startedAt)) / 60_000;
    expect(minutes).toBe(server.config.assistMaxMinutes);
    const { me } = await agent.api.ok(MyActiveAssistDocument);
    expect(me?.activeAssist).toMatchObject({
      id: session.id,
      customer: { name: 'Mrs Patel' },
      channel: 'VOICE',
      service: 'Council tax',
      startedAt: session.startedAt,
    });
    await agent.api.ok(EndAssistingDocument, { input: { outcome: 'RESOLVED' } });
  });

  it('A3: a second start by the same staff member is CONFLICT naming the current session, from the same window and from another one; nothing is written', async () => {
    const agent = await newAgent(org);
    const [first, second] = await Promise.all([
      newCustomer(org, { name: 'First Caller' }),
      newCustomer(org),
    ]);
    const [windowA, windowB] = await Promise.all([
      openWindow(server, agent),
      openWindow(server, agent),
    ]);
    try {
      const { startAssisting } = await windowA.api.ok(StartAssistingDocument, {
        input: { customerId: first.id, channel: 'VOICE', service: 'Bins' },
      });
      for (const [window, customerId] of [
        [windowA, second.id],
        [windowA, first.id],
        [windowB, second.id],
        [windowB, null],
      ] as const) {
        const error = await window.api.fails(StartAssistingDocument, {
          input: { customerId, channel: 'CHAT', service: 'Parking' },
        });
        expect(error.extensions).toMatchObject({
          code: 'CONFLICT',
          assistSessionId: startAssisting.session.id,
          customerId: first.id,
        });
        expect(error.message).toContain('First Caller');
      }
      expect(await sessionsOf(agent.staff.id)).toHaveLength(1);
      // The banner is the same in every window of theirs.
      const fromB = await windowB.api.ok(MyActiveAssistDocument);
      expect(fromB.me?.activeAssist?.id).toBe(startAssisting.session.id);
    } finally {
      await Promise.all([windowA.socket.dispose(), windowB.socket.dispose()]);
    }
  });

  it('A3: two staff members assist the same customer at once, each with a session of their own', async () => {
    const [ada, bo, customer] = await Promise.all([newAgent(org), newAgent(org), newCustomer(org)]);
    const [a, b] = await Promise.all([start(ada, customer.id), start(bo, customer.id)]);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(a.data!.startAssisting.session.id).not.toBe(b.data!.startAssisting.session.id);
    expect([
      a.data!.startAssisting.session.customer?.id,
      b.data!.startAssisting.session.customer?.id,
    ]).toEqual([customer.id, customer.id]);
  });

  it('A3: of two starts racing from two windows of one person, exactly one wins', async () => {
    const agent = await newAgent(org);
    const [windowA, windowB] = await Promise.all([
      openWindow(server, agent),
      openWindow(server, agent),
    ]);
    try {
      const customers = await Promise.all([newCustomer(org), newCustomer(org)]);
      const results = await Promise.all(
        [windowA, windowB].map((window, i) =>
          window.api.request(StartAssistingDocument, {
            input: { customerId: customers[i]!.id, channel: 'VOICE', service: 'Race' },
          }),
        ),
      );
      expect(results.filter((r) => !r.errors).length).toBe(1);
      expect(results.find((r) => r.errors)?.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(await sessionsOf(agent.staff.id)).toHaveLength(1);
    } finally {
      await Promise.all([windowA.socket.dispose(), windowB.socket.dispose()]);
    }
  });

  it('A3: a caller who is not a customer yet can be assisted (no customer)', async () => {
    const agent = await newAgent(org);
    const { data } = await start(agent, null);
    expect(data!.startAssisting.session.customer).toBeNull();
  });

  it('A5: ending with an outcome and notes computes the time spent and keeps the session as a timesheet entry', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    await start(agent, customer.id);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const { endAssisting } = await agent.api.ok(EndAssistingDocument, {
      input: { outcome: 'FOLLOW_UP', notes: '  Call back Monday ' },
    });
    const ended = endAssisting.session;
    expect(ended).toMatchObject({
      outcome: 'FOLLOW_UP',
      notes: 'Call back Monday',
      endedBy: { kind: 'STAFF', id: agent.staff.id },
    });
    const spentMs = Date.parse(ended.endedAt!) - Date.parse(ended.startedAt);
    // Given to the hundredth of a second, rounded (0.275 s is 0.28): compared in whole milliseconds.
    expect(Math.abs(Math.round(ended.secondsSpent! * 1000) - spentMs)).toBeLessThanOrEqual(5);
    expect(ended.secondsSpent).toBeGreaterThanOrEqual(0.25);
    expect((await agent.api.ok(MyActiveAssistDocument)).me?.activeAssist).toBeNull();
    const [row] = await sessionsOf(agent.staff.id);
    expect(row).toMatchObject({ outcome: 'FOLLOW_UP', ended_by_kind: 'STAFF' });
  });

  it('A5: ending is refused when there is nothing to end (NOT_FOUND), or with an outcome Tandem sets (BAD_USER_INPUT)', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    const none = await agent.api.fails(EndAssistingDocument, { input: { outcome: 'RESOLVED' } });
    expect(none.extensions?.code).toBe('NOT_FOUND');
    await start(agent, customer.id);
    const system = await agent.api.fails(EndAssistingDocument, { input: { outcome: 'TIMED_OUT' } });
    expect(system.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'outcome' });
    expect((await sessionsOf(agent.staff.id))[0]?.ended_at).toBeNull();
  });

  it('A7: another agent does not see your banner; supervisors do', async () => {
    const [agent, colleague, supervisor, customer] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newSupervisor(org),
      newCustomer(org),
    ]);
    const { data } = await start(agent, customer.id);
    const asColleague = await colleague.api.ok(StaffActiveAssistDocument, { id: agent.staff.id });
    expect(asColleague.staff.activeAssist).toBeNull();
    const asSupervisor = await supervisor.api.ok(StaffActiveAssistDocument, { id: agent.staff.id });
    expect(asSupervisor.staff.activeAssist?.id).toBe(data!.startAssisting.session.id);
  });

  it('A3: signing out ends the session (SIGNED_OUT) once the staff member has no sign-in left', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    const secondDevice = await signIn(server, agent.staff.email, PASSWORD);
    await start(agent, customer.id);
    await secondDevice.api.ok(SignOutDocument);
    expect((await sessionsOf(agent.staff.id))[0]?.ended_at).toBeNull();
    await agent.api.ok(SignOutDocument);
    const [ended] = await sessionsOf(agent.staff.id);
    expect(ended).toMatchObject({ outcome: 'SIGNED_OUT', ended_by_kind: 'STAFF' });
  });

  it('A3: revoking every sign-in (a password change) ends it as SIGNED_OUT too', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    await start(agent, customer.id);
    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: agent.staff.id, password: 'a brand new password' },
    });
    expect((await sessionsOf(agent.staff.id))[0]?.outcome).toBe('SIGNED_OUT');
  });

  it('A3: deactivating the staff member ends the session as DEACTIVATED', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    await start(agent, customer.id);
    await org.admin.api.ok(DeactivateStaffDocument, { input: { staffId: agent.staff.id } });
    const [ended] = await sessionsOf(agent.staff.id);
    expect(ended).toMatchObject({ outcome: 'DEACTIVATED', ended_by_kind: 'STAFF' });
  });

  it('A3: endAllFor ends it with the outcome given, inside the caller’s transaction (disconnectAgent: DISCONNECTED)', async () => {
    const [agent, supervisor, customer] = await Promise.all([
      newAgent(org),
      newSupervisor(org),
      newCustomer(org),
    ]);
    await start(agent, customer.id);
    const { assist } = server.services;
    const uow = new UnitOfWork(server.dataSource, server.pubsub, createLogger('silent'));
    await expect(
      uow.run(async (tx) => {
        await assist.endAllFor(tx, agent.staff.id, AssistOutcome.DISCONNECTED, {
          kind: AuthorKind.STAFF,
          id: supervisor.staff.id,
          name: supervisor.staff.name,
        });
        throw new Error('the disconnection failed');
      }),
    ).rejects.toThrow('the disconnection failed');
    expect((await sessionsOf(agent.staff.id))[0]?.ended_at).toBeNull();
    const ended = await uow.run((tx) =>
      assist.endAllFor(tx, agent.staff.id, AssistOutcome.DISCONNECTED, {
        kind: AuthorKind.STAFF,
        id: supervisor.staff.id,
        name: supervisor.staff.name,
      }),
    );
    expect(ended.map((s) => s.outcome)).toEqual(['DISCONNECTED']);
    expect((await sessionsOf(agent.staff.id))[0]?.outcome).toBe('DISCONNECTED');
  });

  it('A3: reads treat a session past its maximum as ended (TIMED_OUT at its maximum) before the job has ended it', async () => {
    const agent = await newAgent(org);
    const runner = server.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      // Uncommitted, so no expiry job can end it meanwhile: only the read rule is at work.
      const [row] = (await runner.query(
        `INSERT INTO assist_session (organization_id, staff_id, channel, service, started_at, expires_at)
         VALUES ($1, $2, 'VOICE', 'Old', now() - interval '3 hours', now() - interval '1 hour') RETURNING id`,
        [org.id, agent.staff.id],
      )) as Array<{ id: string }>;
      const store = new AssistStore();
      expect(await store.openOfStaff(runner.manager, org.id, [agent.staff.id])).toEqual([]);
      const [read] = await store.byIds(runner.manager, org.id, [row!.id]);
      expect(read).toMatchObject({
        outcome: 'TIMED_OUT',
        endedByKind: 'SYSTEM',
        endedAt: read!.expiresAt,
      });
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});

describe('assist sessions: the maximum', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    // 1.2 s: long enough to act in, short enough to wait for.
    server = await startTestServer({ config: { assistMaxMinutes: 0.02 } });
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('A5: a session left open ends by itself after ASSIST_MAX_MINUTES (TIMED_OUT, its end at the maximum, by Tandem)', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    const { startAssisting } = await agent.api.ok(StartAssistingDocument, {
      input: { customerId: customer.id, channel: 'CHAT', service: 'Permits' },
    });
    expect((await agent.api.ok(MyActiveAssistDocument)).me?.activeAssist).not.toBeNull();
    await eventually(
      async () =>
        (
          await server.dataSource.query('SELECT ended_at FROM assist_session WHERE id = $1', [
            startAssisting.session.id,
          ])
        )[0].ended_at !== null,
      8000,
      'the session to time out',
    );
    const [row] = (await server.dataSource.query(
      'SELECT outcome, ended_at, expires_at, ended_by_kind FROM assist_session WHERE id = $1',
      [startAssisting.session.id],
    )) as Array<{ outcome: string; ended_at: Date; expires_at: Date; ended_by_kind: string }>;
    expect(row).toMatchObject({ outcome: 'TIMED_OUT', ended_by_kind: 'SYSTEM' });
    expect(row!.ended_at).toEqual(row!.expires_at);
    expect(
      Date.parse(startAssisting.session.expiresAt) - Date.parse(startAssisting.session.startedAt),
    ).toBe(1200);
    expect((await agent.api.ok(MyActiveAssistDocument)).me?.activeAssist).toBeNull();
    // Over, so the agent may start again.
    await agent.api.ok(StartAssistingDocument, {
      input: { customerId: customer.id, channel: 'CHAT', service: 'Permits' },
    });
  });
});
