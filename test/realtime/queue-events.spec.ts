import { randomUUID } from 'node:crypto';
import { actorOf } from '../../src/context/auth';
import { UnitOfWork } from '../../src/db/unit-of-work';
import type { Campaign } from '../../src/entities/campaign.entity';
import { Conversation } from '../../src/entities/conversation.entity';
import { Role } from '../../src/entities/enums';
import { createLogger } from '../../src/logger';
import { Streams } from '../../src/subscriptions/topics';
import {
  AbandonInteractionDocument,
  QueueEventsDocument,
  type QueueEventsSubscription,
  type QueueEventsSubscriptionVariables,
  SetCampaignMembersDocument,
  TakeInteractionDocument,
} from '../generated/graphql';
import { newCampaign } from '../support/campaigns';
import { GraphQLClient } from '../support/client';
import {
  eventually,
  newAgent,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../support/factories';
import { startTwoInstances, type TestServer } from '../support/server';
import { connect, type Console, subscribe, type Subscription } from '../support/ws';

type QueueEvent = QueueEventsSubscription['queueEvents'];

let numbers = 0;
const newNumber = () => `+3491124${String(1000 + numbers++).padStart(4, '0')}`;

/** A customer writes to the campaign's number: an interaction waits in its queue. */
async function arrive(server: TestServer, campaign: Campaign, from = newNumber()) {
  return server.services.inbound.receive({
    providerId: campaign.providerId as string,
    providerMessageId: `wamid.${randomUUID()}`,
    from,
    to: '+14155550100',
    body: 'Hola',
    providerTimestamp: new Date(),
    contentType: 'text',
  });
}

/** The code of the error a stream ended with (graphql-ws `error` message). */
function codeOf(result: { errors?: ReadonlyArray<unknown> }): unknown {
  const [error] = (result.errors ?? []) as Array<{ extensions?: { code?: unknown } }>;
  return error?.extensions?.code;
}

interface QueueWatch {
  subscription: Subscription<QueueEventsSubscription>;
  next(timeoutMs?: number): Promise<QueueEvent>;
}

function watchQueues(socket: Console, variables: QueueEventsSubscriptionVariables): QueueWatch {
  const subscription = subscribe(socket, QueueEventsDocument, variables);
  return {
    subscription,
    next: async (timeoutMs) => (await subscription.nextData(timeoutMs)).queueEvents,
  };
}

/** Waits until `count` subscribers of the campaign's queue stream are live on `server`. */
function watchersLive(server: TestServer, campaign: Campaign, count = 1): Promise<void> {
  const stream = Streams.campaignQueue(campaign.organizationId, campaign.id);
  return eventually(() => server.hub.liveSubscribers(stream) >= count, 5000, 'queue watchers');
}

describe('queueEvents (C5)', () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;
  let org: Org;
  let agents: Member[];
  let supervisor: Member;
  const sockets: Console[] = [];

  async function socketOf(server: TestServer, member: Member): Promise<Console> {
    const socket = await connect(server.wsUrl, member.token);
    sockets.push(socket);
    return socket;
  }

  beforeAll(async () => {
    ({ a, b, stop } = await startTwoInstances());
    org = await newOrg(a);
    agents = await Promise.all([newAgent(org), newAgent(org), newAgent(org)]);
    supervisor = await newSupervisor(org);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await stop();
  });

  it('C5: members on instance B get a SNAPSHOT per campaign, then ARRIVED, TAKEN, ABANDONED and REQUEUED made on instance A, each with its campaign seq, number, waitingSince, actor and at', async () => {
    const [member, taker] = agents;
    const first = await newCampaign(org, { members: [member, taker] });
    const second = await newCampaign(org, { members: [member, taker] });
    const waiting = await arrive(a, first);

    const memberWatch = watchQueues(await socketOf(b, member), {
      campaignIds: [first.id, second.id],
    });
    const supervisorWatch = watchQueues(await socketOf(b, supervisor), {
      campaignIds: [second.id],
    });
    const snapshots = [await memberWatch.next(), await memberWatch.next()];
    expect(snapshots).toEqual([
      expect.objectContaining({ kind: 'SNAPSHOT', campaignId: first.id, interaction: null }),
      expect.objectContaining({ kind: 'SNAPSHOT', campaignId: second.id, waiting: [] }),
    ]);
    expect(snapshots[0].waiting).toEqual([
      expect.objectContaining({ conversationId: waiting.conversationId }),
    ]);
    const firstSeq = snapshots[0].seq;
    const secondSeq = snapshots[1].seq;
    expect(await supervisorWatch.next()).toMatchObject({ kind: 'SNAPSHOT', seq: secondSeq });
    await watchersLive(b, first);
    await watchersLive(b, second, 2);

    // ARRIVED, on instance A, in the second campaign.
    const number = newNumber();
    const before = Date.now();
    const arrived = await arrive(a, second, number);
    const arrivedEvent = await memberWatch.next();
    expect(arrivedEvent).toMatchObject({
      kind: 'ARRIVED',
      campaignId: second.id,
      seq: secondSeq + 1,
      number,
      interaction: {
        conversationId: arrived.conversationId,
        campaignId: second.id,
        number,
      },
      actor: { kind: 'SYSTEM', name: 'Tandem' },
    });
    expect(arrivedEvent.waitingSince).toBe(arrivedEvent.interaction?.waitingSince);
    expect(new Date(arrivedEvent.at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(await supervisorWatch.next()).toMatchObject({ kind: 'ARRIVED', seq: secondSeq + 1 });

    // TAKEN, on instance A, by the other member: the actor says who.
    await taker.api.ok(TakeInteractionDocument, { input: { campaignId: first.id } });
    expect(await memberWatch.next()).toMatchObject({
      kind: 'TAKEN',
      campaignId: first.id,
      seq: firstSeq + 1,
      interaction: { conversationId: waiting.conversationId },
      waitingSince: snapshots[0].waiting?.[0].waitingSince,
      actor: { kind: 'STAFF', id: taker.staff.id, name: taker.staff.name },
    });

    // REQUEUED (supervision's disconnect calls QueueService.requeue): back to the front, same waitingSince.
    const uow = new UnitOfWork(a.dataSource, a.pubsub, createLogger('silent'));
    await uow.run(async (tx) => {
      const conversation = await tx.manager.findOneByOrFail(Conversation, {
        id: waiting.conversationId,
      });
      await a.services.queue.requeue(tx, conversation, actorOf(supervisor.auth));
    });
    expect(await memberWatch.next()).toMatchObject({
      kind: 'REQUEUED',
      campaignId: first.id,
      seq: firstSeq + 2,
      interaction: { conversationId: waiting.conversationId },
      waitingSince: snapshots[0].waiting?.[0].waitingSince,
      actor: { kind: 'STAFF', id: supervisor.staff.id },
    });

    // ABANDONED by an integration's bot.
    const bot = await a.services.apiKeys.create(org.admin.auth, 'Bot', Role.INTEGRATION);
    await new GraphQLClient(a.url, bot.key).ok(AbandonInteractionDocument, {
      input: { conversationId: arrived.conversationId },
    });
    expect(await memberWatch.next()).toMatchObject({
      kind: 'ABANDONED',
      campaignId: second.id,
      seq: secondSeq + 2,
      interaction: { conversationId: arrived.conversationId },
      actor: { kind: 'API_KEY', id: bot.apiKey.id },
    });
    expect(await supervisorWatch.next()).toMatchObject({ kind: 'ABANDONED', seq: secondSeq + 2 });
    await memberWatch.subscription.expectSilence(200);
  });

  it('C5: resumed with a cursor per campaign after a reconnect, the missed events come first, then live ones, with no gap and no duplicate at the seam', async () => {
    const [member, taker] = agents;
    const resumed = await newCampaign(org, { members: [member, taker] });
    const fresh = await newCampaign(org, { members: [member, taker] });
    const socket = await socketOf(b, member);
    const watch = watchQueues(socket, { campaignIds: [resumed.id] });
    const snapshot = await watch.next();
    await watchersLive(b, resumed);
    const seen = await arrive(a, resumed);
    const seenEvent = await watch.next();
    expect(seenEvent).toMatchObject({ kind: 'ARRIVED', seq: snapshot.seq + 1 });

    // The console goes away; meanwhile the queue moves.
    await socket.dispose();
    const missedArrivals = [await arrive(a, resumed), await arrive(a, resumed)];
    await taker.api.ok(TakeInteractionDocument, {
      input: { conversationId: seen.conversationId },
    });
    const waitingInFresh = await arrive(a, fresh);

    // Back with its cursor for the campaign it watched; the other one starts with a SNAPSHOT.
    const again = watchQueues(await socketOf(a, member), {
      campaignIds: [resumed.id, fresh.id],
      after: [{ campaignId: resumed.id, seq: seenEvent.seq }],
    });
    const freshSnapshot = await again.next();
    expect(freshSnapshot).toMatchObject({
      kind: 'SNAPSHOT',
      campaignId: fresh.id,
      waiting: [{ conversationId: waitingInFresh.conversationId }],
    });
    const replayed = [await again.next(), await again.next(), await again.next()];
    expect(
      replayed.map((event) => [event.kind, event.seq, event.interaction?.conversationId]),
    ).toEqual([
      ['ARRIVED', seenEvent.seq + 1, missedArrivals[0].conversationId],
      ['ARRIVED', seenEvent.seq + 2, missedArrivals[1].conversationId],
      ['TAKEN', seenEvent.seq + 3, seen.conversationId],
    ]);
    // Live after the seam: the next event of each campaign follows its last seq.
    await watchersLive(a, resumed);
    await taker.api.ok(TakeInteractionDocument, { input: { campaignId: resumed.id } });
    expect(await again.next()).toMatchObject({
      kind: 'TAKEN',
      campaignId: resumed.id,
      seq: seenEvent.seq + 4,
      interaction: { conversationId: missedArrivals[0].conversationId },
    });
    await taker.api.ok(TakeInteractionDocument, { input: { campaignId: fresh.id } });
    expect(await again.next()).toMatchObject({
      kind: 'TAKEN',
      campaignId: fresh.id,
      seq: freshSnapshot.seq + 1,
    });
    await again.subscription.expectSilence(200);
  });

  it("C5: only the campaign's members, supervisors and admins watch it; another organization's campaign and a non-member's are NOT_FOUND; a member removed loses the stream (FORBIDDEN)", async () => {
    const [member, stranger] = agents;
    const campaign = await newCampaign(org, { members: [member] });
    const other = await newCampaign(org, { members: [member] });
    const outsider = await newOrg(a);
    const foreign = await newCampaign(outsider);

    const refused = async (socket: Console, variables: QueueEventsSubscriptionVariables) =>
      codeOf(await watchQueues(socket, variables).subscription.next());
    const strangerSocket = await socketOf(a, stranger);
    expect(await refused(strangerSocket, { campaignIds: [campaign.id] })).toBe('NOT_FOUND');
    const memberSocket = await socketOf(a, member);
    expect(await refused(memberSocket, { campaignIds: [campaign.id, foreign.id] })).toBe(
      'NOT_FOUND',
    );
    const outsiderSocket = await socketOf(a, outsider.admin);
    expect(await refused(outsiderSocket, { campaignIds: [campaign.id] })).toBe('NOT_FOUND');
    expect(await refused(memberSocket, { campaignIds: [] })).toBe('BAD_USER_INPUT');
    expect(
      await refused(memberSocket, {
        campaignIds: [campaign.id],
        after: [{ campaignId: other.id, seq: 0 }],
      }),
    ).toBe('BAD_USER_INPUT');
    expect(
      await refused(memberSocket, {
        campaignIds: [campaign.id],
        after: [{ campaignId: campaign.id, seq: -1 }],
      }),
    ).toBe('BAD_USER_INPUT');

    const adminWatch = watchQueues(await socketOf(b, org.admin), { campaignIds: [campaign.id] });
    expect(await adminWatch.next()).toMatchObject({ kind: 'SNAPSHOT' });
    const memberWatch = watchQueues(await socketOf(b, member), {
      campaignIds: [other.id, campaign.id],
    });
    expect((await memberWatch.next()).kind).toBe('SNAPSHOT');
    expect((await memberWatch.next()).kind).toBe('SNAPSHOT');
    await watchersLive(b, campaign, 2);

    // Removed from one of its campaigns (on instance A): the stream ends before the next event.
    await org.admin.api.ok(SetCampaignMembersDocument, {
      input: { campaignId: campaign.id, staffIds: [] },
    });
    const arrived = await arrive(a, campaign);
    const ended = await memberWatch.subscription.next();
    expect(ended.data).toBeFalsy();
    expect(codeOf(ended)).toBe('FORBIDDEN');
    expect(await adminWatch.next()).toMatchObject({
      kind: 'ARRIVED',
      interaction: { conversationId: arrived.conversationId },
    });
  });
});
