import { randomUUID } from 'node:crypto';
import type { Campaign } from '../../../src/entities/campaign.entity';
import { Role } from '../../../src/entities/enums';
import type { Provider } from '../../../src/entities/provider.entity';
import {
  CampaignReplyDocument,
  CloseConversationDocument,
  InteractionRecordsDocument,
  type InteractionRecordsQueryVariables,
  InteractionTranscriptDocument,
  TakeInteractionDocument,
} from '../../generated/graphql';
import { newCampaign, newWhatsAppProvider } from '../../support/campaigns';
import {
  newAgent,
  newConversation,
  newDispatcher,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../../support/factories';
import { campaignOnStub, conversationOfMessage, webhookUrl } from '../../support/providers/setup';
import { WhatsAppCloudStub } from '../../support/providers/whatsapp-cloud-stub';
import { startTestServer, type TestServer } from '../../support/server';

type Filter = NonNullable<InteractionRecordsQueryVariables['filter']>;

describe('recordings: interactionRecords and Conversation.transcript (C15)', () => {
  let server: TestServer;
  let org: Org;
  let supervisor: Member;
  let a1: Member;
  let a2: Member;
  let k1: Campaign;
  let k2: Campaign;
  let p1: Provider;
  let p2: Provider;
  const stub = new WhatsAppCloudStub();
  const N1 = '+34911230001';
  const N2 = '+34911230002';
  const N3 = '+34911230003';
  const N4 = '+34911230004';
  /** The interactions, i1 oldest; each started a day after the previous one, at 10:00 UTC. */
  const i: Record<1 | 2 | 3 | 4 | 5, string> = { 1: '', 2: '', 3: '', 4: '', 5: '' };
  const dayOf = (n: number) => new Date(Date.UTC(2026, 2, n, 10));

  /**
   * The customer writes to a campaign's number: through the signed webhook for the stub's number
   * (which opens the 24-hour window), straight to inbound processing for the other provider.
   */
  const write = async (provider: Provider, from: string, body: string) => {
    if (provider.id !== p1.id) {
      return server.services.inbound.receive({
        providerId: provider.id,
        providerMessageId: `wamid.${randomUUID()}`,
        from,
        to: provider.accountNumber,
        body,
        providerTimestamp: new Date(),
        contentType: 'text',
      });
    }
    await stub.deliver(webhookUrl(org, provider), stub.inboundBody([{ from, body }]));
    return { conversationId: await conversationOfMessage(org, body) };
  };

  beforeAll(async () => {
    server = await startTestServer({ config: { jobPollIntervalMs: 100 } });
    org = await newOrg(server);
    await stub.start();
    [supervisor, a1, a2] = await Promise.all([newSupervisor(org), newAgent(org), newAgent(org)]);
    ({ campaign: k1, provider: p1 } = await campaignOnStub(org, stub, { members: [a1, a2] }));
    p2 = await newWhatsAppProvider(org);
    k2 = await newCampaign(org, { provider: p2, members: [a1, a2] });

    // i1: K1, N1, A1, closed, "Refund request", with a reply and a last word from the customer.
    i[1] = (await write(p1, N1, 'I want my money back')).conversationId;
    await a1.api.ok(TakeInteractionDocument, { input: { conversationId: i[1] } });
    await a1.api.ok(CampaignReplyDocument, {
      input: { conversationId: i[1], body: 'Refund on its way' },
    });
    await write(p1, N1, 'Thanks!');
    await a1.api.ok(CloseConversationDocument, { input: { conversationId: i[1] } });
    // i2: K1, N2, A2, active, "Delivery delay".
    i[2] = (await write(p1, N2, 'Where is my parcel?')).conversationId;
    await a2.api.ok(TakeInteractionDocument, { input: { conversationId: i[2] } });
    // i3: K2, N1, waiting.
    i[3] = (await write(p2, N1, 'Hello again')).conversationId;
    // i4: K2, N3, abandoned (the bot saw the customer leave).
    i[4] = (await write(p2, N3, 'Anyone?')).conversationId;
    const { key } = await server.services.apiKeys.create(org.admin.auth, 'Bot', Role.INTEGRATION);
    const bot = await server.services.auth.authenticate(key);
    await server.services.queue.abandon(bot!, i[4]);
    // i5: K1, N4, A1, active, OUTGOING (set in the table: startOutgoingInteraction is C16's).
    i[5] = (await write(p1, N4, 'Call me back')).conversationId;
    await a1.api.ok(TakeInteractionDocument, { input: { conversationId: i[5] } });
    await server.dataSource.query(`UPDATE conversation SET direction = 'OUTGOING' WHERE id = $1`, [
      i[5],
    ]);
    for (const n of [1, 2, 3, 4, 5] as const) {
      await server.dataSource.query('UPDATE conversation SET created_at = $2 WHERE id = $1', [
        i[n],
        dayOf(n),
      ]);
    }
    await server.dataSource.query(`UPDATE conversation SET subject = $2 WHERE id = $1`, [
      i[1],
      'Refund request',
    ]);
    await server.dataSource.query(`UPDATE conversation SET subject = $2 WHERE id = $1`, [
      i[2],
      'Delivery delay',
    ]);
    // Never in the recordings: a conversation outside campaigns, a deleted interaction.
    const plain = await newConversation(org, { body: 'Not a campaign' });
    const deleted = (await write(p2, '+34911230009', 'Gone')).conversationId;
    await server.dataSource.query(
      `UPDATE conversation SET created_at = $2, deleted_at = now() WHERE id = $1`,
      [deleted, dayOf(3)],
    );
    await server.dataSource.query(`UPDATE conversation SET created_at = $2 WHERE id = $1`, [
      plain.id,
      dayOf(3),
    ]);
  }, 120_000);
  afterAll(async () => {
    await server.stop();
    await stub.stop();
  });

  /** The interactions (as i-numbers, newest first) a filter finds, read as `who`. */
  async function found(filter: Filter, who: Member = supervisor): Promise<number[]> {
    const { interactionRecords } = await who.api.ok(InteractionRecordsDocument, {
      filter,
      first: 100,
    });
    const ids = interactionRecords.edges.map((edge) => edge.node.id);
    expect(interactionRecords.totalCount).toBe(ids.length);
    return ids.map((id) => Number(Object.entries(i).find(([, value]) => value === id)?.[0] ?? 0));
  }

  const ms = (date: Date, delta: number) => new Date(date.getTime() + delta).toISOString();

  it('C15: every row gives the date, number, campaign, agent, direction and state, newest first', async () => {
    const { interactionRecords } = await supervisor.api.ok(InteractionRecordsDocument, {
      first: 100,
    });
    expect(interactionRecords.totalCount).toBe(5);
    expect(interactionRecords.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({
        id: i[5],
        createdAt: dayOf(5).toISOString(),
        number: N4,
        campaign: { id: k1.id, name: k1.name },
        campaignNumber: p1.accountNumber,
        assignee: { id: a1.staff.id, name: a1.staff.name },
        direction: 'OUTGOING',
        interactionState: 'ACTIVE',
      }),
      expect.objectContaining({
        id: i[4],
        number: N3,
        campaign: { id: k2.id, name: k2.name },
        assignee: null,
        direction: 'INCOMING',
        interactionState: 'ABANDONED',
      }),
      expect.objectContaining({ id: i[3], number: N1, interactionState: 'WAITING' }),
      expect.objectContaining({ id: i[2], number: N2, interactionState: 'ACTIVE' }),
      expect.objectContaining({
        id: i[1],
        number: N1,
        subject: 'Refund request',
        assignee: { id: a1.staff.id, name: a1.staff.name },
        interactionState: 'CLOSED',
      }),
    ]);
  });

  it('C15: from is inclusive and to exclusive, to the millisecond', async () => {
    const day2 = dayOf(2);
    expect(await found({ from: day2.toISOString() })).toEqual([5, 4, 3, 2]);
    expect(await found({ from: ms(day2, 1) })).toEqual([5, 4, 3]);
    expect(await found({ to: day2.toISOString() })).toEqual([1]);
    expect(await found({ to: ms(day2, 1) })).toEqual([2, 1]);
    expect(await found({ from: day2.toISOString(), to: ms(day2, 1) })).toEqual([2]);
    expect(await found({ from: day2.toISOString(), to: day2.toISOString() })).toEqual([]);
  });

  it("C15: number is the customer's whole number, however it is written", async () => {
    expect(await found({ number: N1 })).toEqual([3, 1]);
    expect(await found({ number: '0034 911 23 00 01' })).toEqual([3, 1]);
    expect(await found({ number: '+34911230005' })).toEqual([]);
    expect(await found({ number: N2 })).toEqual([2]);
  });

  it('C15: subject is any part of it, in any case; % and _ are plain characters', async () => {
    expect(await found({ subject: 'refund' })).toEqual([1]);
    expect(await found({ subject: 'UND REQ' })).toEqual([1]);
    expect(await found({ subject: 'refunds' })).toEqual([]);
    expect(await found({ subject: 'de' })).toEqual([2]);
    expect(await found({ subject: '%' })).toEqual([]);
    expect(await found({ subject: 'Refund_request' })).toEqual([]);
  });

  it('C15: campaignId, agentId and direction', async () => {
    expect(await found({ campaignId: k1.id })).toEqual([5, 2, 1]);
    expect(await found({ campaignId: k2.id })).toEqual([4, 3]);
    expect(await found({ agentId: a1.staff.id })).toEqual([5, 1]);
    expect(await found({ agentId: a2.staff.id })).toEqual([2]);
    expect(await found({ agentId: supervisor.staff.id })).toEqual([]);
    expect(await found({ direction: 'OUTGOING' })).toEqual([5]);
    expect(await found({ direction: 'INCOMING' })).toEqual([4, 3, 2, 1]);
  });

  it('C15: state is WAITING, ACTIVE, ABANDONED or CLOSED', async () => {
    expect(await found({ state: 'WAITING' })).toEqual([3]);
    expect(await found({ state: 'ACTIVE' })).toEqual([5, 2]);
    expect(await found({ state: 'ABANDONED' })).toEqual([4]);
    expect(await found({ state: 'CLOSED' })).toEqual([1]);
  });

  it('C15: filters combine', async () => {
    expect(
      await found({ campaignId: k1.id, agentId: a1.staff.id, from: dayOf(2).toISOString() }),
    ).toEqual([5]);
    expect(await found({ number: N1, state: 'WAITING' })).toEqual([3]);
    expect(await found({ campaignId: k2.id, direction: 'OUTGOING' })).toEqual([]);
  });

  it('C15: pages follow each other with no repeat and no gap', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    for (;;) {
      const { interactionRecords } = await supervisor.api.ok(InteractionRecordsDocument, {
        first: 2,
        after,
      });
      expect(interactionRecords.totalCount).toBe(5);
      seen.push(...interactionRecords.edges.map((edge) => edge.node.id));
      if (!interactionRecords.pageInfo.hasNextPage) break;
      after = interactionRecords.pageInfo.endCursor;
    }
    expect(seen).toEqual([i[5], i[4], i[3], i[2], i[1]]);
  });

  it('C15: an agent or dispatcher finds only the interactions they attended; a supervisor or admin all', async () => {
    expect(await found({}, a1)).toEqual([5, 1]);
    expect(await found({ agentId: a2.staff.id }, a1)).toEqual([]);
    expect(await found({}, a2)).toEqual([2]);
    expect(await found({}, await newDispatcher(org))).toEqual([]);
    expect(await found({}, org.admin)).toEqual([5, 4, 3, 2, 1]);
  });

  it('C15: a bad filter is BAD_USER_INPUT naming it', async () => {
    const refusal = async (filter: Filter) =>
      (await supervisor.api.fails(InteractionRecordsDocument, { filter })).extensions;
    expect(await refusal({ from: dayOf(2).toISOString(), to: ms(dayOf(2), -1) })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'filter.to',
    });
    expect(await refusal({ number: '12' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'filter.number',
    });
    expect(await refusal({ subject: 'x'.repeat(201) })).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });

  it('C15: the transcript is every message of the interaction, both directions, in order', async () => {
    const { conversation } = await supervisor.api.ok(InteractionTranscriptDocument, { id: i[1] });
    expect(conversation.interactionState).toBe('CLOSED');
    expect(
      conversation.transcript.map((m) => [m.direction, m.authorKind, m.body, m.author?.id ?? null]),
    ).toEqual([
      ['INCOMING', 'CUSTOMER', 'I want my money back', null],
      ['OUTGOING', 'STAFF', 'Refund on its way', a1.staff.id],
      ['INCOMING', 'CUSTOMER', 'Thanks!', null],
    ]);
    expect(new Set(conversation.transcript.map((m) => m.conversationId))).toEqual(new Set([i[1]]));
  });
});
