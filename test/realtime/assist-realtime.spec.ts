import {
  ActiveAssistChangesDocument,
  type ActiveAssistChangesSubscription,
  EndAssistingDocument,
  RegisterCustomerDocument,
  StartAssistingDocument,
} from '../generated/graphql';
import { Role } from '../../src/entities/enums';
import { Streams } from '../../src/subscriptions/topics';
import {
  eventually,
  newAgent,
  newCustomer,
  newOrg,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import type { Config } from '../../src/config';
import { connect, type Console, subscribe, type Subscription } from '../support/ws';

type AssistEvent = ActiveAssistChangesSubscription['activeAssistChanges'];

interface Banner {
  socket: Console;
  changes: Subscription<ActiveAssistChangesSubscription>;
  snapshot: AssistEvent;
  next(): Promise<AssistEvent>;
}

/** Windows of one server showing the banner; the server and its org are made per describe. */
function liveServer(config: Partial<Config> = {}) {
  const context = {} as { server: TestServer; org: Org };
  const sockets: Console[] = [];
  beforeAll(async () => {
    context.server = await startTestServer({ config });
    context.org = await newOrg(context.server);
  });
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
    await context.server.stop();
  });

  /** A window of `member` showing the banner: its SNAPSHOT read, live from then on. */
  async function banner(member: Member): Promise<Banner> {
    const { server, org } = context;
    const socket = await connect(server.wsUrl, member.token);
    sockets.push(socket);
    const stream = Streams.staffAssist(org.id, member.staff.id);
    const live = server.hub.liveSubscribers(stream);
    const changes = subscribe(socket, ActiveAssistChangesDocument, {});
    const snapshot = (await changes.nextData()).activeAssistChanges;
    await eventually(() => server.hub.liveSubscribers(stream) > live, 5000, 'a live banner');
    return {
      socket,
      changes,
      snapshot,
      next: async () => (await changes.nextData()).activeAssistChanges,
    };
  }

  return { context, banner, sockets };
}

describe('the assist banner, live', () => {
  const { context, banner, sockets } = liveServer();

  it('A7: every window of the person shows the same banner: a SNAPSHOT, then STARTED and ENDED with seq, actor and at; nobody else hears of it', async () => {
    const [agent, colleague, customer] = await Promise.all([
      newAgent(context.org, { name: 'Ada' }),
      newAgent(context.org),
      newCustomer(context.org, { name: 'Mr Okafor' }),
    ]);
    const [first, second, bystander] = await Promise.all([
      banner(agent),
      banner(agent),
      banner(colleague),
    ]);
    expect(first.snapshot).toMatchObject({ kind: 'SNAPSHOT', session: null, actor: null });
    const seq = first.snapshot.seq;
    const before = Date.now();
    const { startAssisting } = await agent.api.ok(StartAssistingDocument, {
      input: { customerId: customer.id, channel: 'VOICE', service: 'Benefits' },
    });
    for (const window of [first, second]) {
      const started = await window.next();
      expect(started).toMatchObject({
        kind: 'STARTED',
        seq: seq + 1,
        actor: { kind: 'STAFF', id: agent.staff.id, name: 'Ada' },
        session: {
          id: startAssisting.session.id,
          channel: 'VOICE',
          service: 'Benefits',
          startedAt: startAssisting.session.startedAt,
          customer: { name: 'Mr Okafor' },
        },
      });
      expect(Date.parse(started.at)).toBeGreaterThanOrEqual(before - 1000);
    }
    await agent.api.ok(EndAssistingDocument, { input: { outcome: 'RESOLVED' } });
    for (const window of [first, second]) {
      expect(await window.next()).toMatchObject({
        kind: 'ENDED',
        seq: seq + 2,
        session: { id: startAssisting.session.id, outcome: 'RESOLVED' },
      });
    }
    await bystander.changes.expectSilence(300);
  });

  it('A7: a window opened later starts from a SNAPSHOT holding the open session', async () => {
    const [agent, customer] = await Promise.all([newAgent(context.org), newCustomer(context.org)]);
    const { startAssisting } = await agent.api.ok(StartAssistingDocument, {
      input: { customerId: customer.id, channel: 'CHAT', service: 'Library' },
    });
    const late = await banner(agent);
    expect(late.snapshot).toMatchObject({
      kind: 'SNAPSHOT',
      seq: 1,
      session: { id: startAssisting.session.id, customer: { id: customer.id } },
    });
    await agent.api.ok(EndAssistingDocument, { input: { outcome: 'ABANDONED' } });
    expect(await late.next()).toMatchObject({ kind: 'ENDED', seq: 2 });
  });

  it('A7: registering the caller shows them on the banner (CUSTOMER_BOUND)', async () => {
    const agent = await newAgent(context.org);
    const window = await banner(agent);
    await agent.api.ok(StartAssistingDocument, {
      input: { channel: 'VOICE', service: 'New residents' },
    });
    expect(await window.next()).toMatchObject({ kind: 'STARTED', session: { customer: null } });
    const { registerCustomer } = await agent.api.ok(RegisterCustomerDocument, {
      input: { name: 'Olu New' },
    });
    expect(await window.next()).toMatchObject({
      kind: 'CUSTOMER_BOUND',
      session: { customer: { id: registerCustomer.customer.id, name: 'Olu New' } },
    });
  });

  it('A7: an API key has no banner (FORBIDDEN)', async () => {
    const { key } = await context.server.services.apiKeys.create(
      context.org.admin.auth,
      'Site',
      Role.INTEGRATION,
    );
    const socket = await connect(context.server.wsUrl, key);
    sockets.push(socket);
    const result = await subscribe(socket, ActiveAssistChangesDocument, {}).next();
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });
});

describe('the assist banner, live, with short sessions', () => {
  // 1.8 s: a session ends by itself while the test watches.
  const { context, banner } = liveServer({ assistMaxMinutes: 0.03 });

  it('A7: a session that times out leaves the banner: ENDED, TIMED_OUT, by Tandem', async () => {
    const [agent, customer] = await Promise.all([newAgent(context.org), newCustomer(context.org)]);
    const window = await banner(agent);
    await agent.api.ok(StartAssistingDocument, {
      input: { customerId: customer.id, channel: 'VOICE', service: 'Waste' },
    });
    expect((await window.next()).kind).toBe('STARTED');
    const ended = (await window.changes.nextData(8000)).activeAssistChanges;
    expect(ended).toMatchObject({
      kind: 'ENDED',
      actor: { kind: 'SYSTEM' },
      session: { outcome: 'TIMED_OUT', endedBy: { kind: 'SYSTEM' } },
    });
  });
});
