import { randomUUID } from 'node:crypto';
import { Role } from '../../../src/entities/enums';
import type { InboundMessage } from '../../../src/services/campaign/inbound.service';
import {
  AbandonInteractionDocument,
  CampaignQueueDocument,
  TakeInteractionDocument,
} from '../../generated/graphql';
import { GraphQLClient } from '../../support/client';
import { newCampaign, newWhatsAppProvider } from '../../support/campaigns';
import {
  eventually,
  newAgent,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../../support/factories';
import { startTestServer, startTwoInstances, type TestServer } from '../../support/server';
import type { Campaign } from '../../../src/entities/campaign.entity';

let numbers = 0;
const newNumber = () => `+3491123${String(1000 + numbers++).padStart(4, '0')}`;

/** A customer writes to the campaign's number: an interaction waits in its queue. */
async function arrive(server: TestServer, campaign: Campaign, from = newNumber()) {
  const message: InboundMessage = {
    providerId: campaign.providerId as string,
    providerMessageId: `wamid.${randomUUID()}`,
    from,
    to: '+14155550100',
    body: 'Hola',
    providerTimestamp: new Date(),
    contentType: 'text',
  };
  return server.services.inbound.receive(message);
}

describe('campaign queue (C4, C5)', () => {
  let server: TestServer;
  let org: Org;
  let agents: Member[];

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    agents = await Promise.all([newAgent(org), newAgent(org), newAgent(org)]);
  });
  afterAll(() => server.stop());

  it('C4: campaignQueue lists waiting interactions oldest first; takeInteraction({campaignId}) takes the oldest (FIFO)', async () => {
    const campaign = await newCampaign(org, { members: agents });
    const first = await arrive(server, campaign);
    const second = await arrive(server, campaign);
    const third = await arrive(server, campaign);
    const { campaignQueue } = await agents[0].api.ok(CampaignQueueDocument, {
      campaignId: campaign.id,
    });
    expect(campaignQueue.map((q) => q.conversationId)).toEqual([
      first.conversationId,
      second.conversationId,
      third.conversationId,
    ]);
    expect(campaignQueue[0]).toMatchObject({ campaignId: campaign.id, number: expect.any(String) });
    const taken = await agents[1].api.ok(TakeInteractionDocument, {
      input: { campaignId: campaign.id },
    });
    expect(taken.takeInteraction.conversation).toMatchObject({
      id: first.conversationId,
      status: 'OPEN',
      routingReason: 'TAKEN',
      assignee: { id: agents[1].staff.id },
      waitingSince: campaignQueue[0].waitingSince,
    });
    const chosen = await agents[2].api.ok(TakeInteractionDocument, {
      input: { conversationId: third.conversationId },
    });
    expect(chosen.takeInteraction.conversation?.id).toBe(third.conversationId);
    const after = await agents[0].api.ok(CampaignQueueDocument, { campaignId: campaign.id });
    expect(after.campaignQueue.map((q) => q.conversationId)).toEqual([second.conversationId]);
    // A message of a taken interaction joins it; it does not queue again.
    const again = await arrive(server, campaign, campaignQueue[0].number as string);
    expect(again.conversationId).toBe(first.conversationId);
    await agents[0].api.ok(TakeInteractionDocument, { input: { campaignId: campaign.id } });
    const empty = await agents[0].api.ok(TakeInteractionDocument, {
      input: { campaignId: campaign.id },
    });
    expect(empty.takeInteraction.conversation).toBeNull();
  });

  it('C4: of two members taking the same interaction at once, one wins and the other gets CONFLICT naming the taker', async () => {
    const campaign = await newCampaign(org, { members: agents });
    for (let round = 0; round < 3; round++) {
      const { conversationId } = await arrive(server, campaign);
      const results = await Promise.all(
        agents
          .slice(0, 2)
          .map((agent) =>
            agent.api.request(TakeInteractionDocument, { input: { conversationId } }),
          ),
      );
      const winners = results.filter((r) => !r.errors);
      expect(winners).toHaveLength(1);
      const loser = results.find((r) => r.errors)?.errors?.[0];
      const winner = winners[0].data?.takeInteraction.conversation?.assignee?.id;
      const winnerName = agents.find((a) => a.staff.id === winner)?.staff.name;
      expect(loser?.extensions).toMatchObject({
        code: 'CONFLICT',
        takenBy: { id: winner, name: winnerName },
      });
      expect(loser?.message).toContain(winnerName);
    }
  });

  it("C4: an agent never holds more than the campaign's maximum: CAPACITY_REACHED, and the rest wait", async () => {
    const agent = await newAgent(org);
    const campaign = await newCampaign(org, { members: [agent], maxInteractionsPerAgent: 2 });
    for (let i = 0; i < 4; i++) await arrive(server, campaign);
    // Four takes at once: two succeed, two are refused.
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        agent.api.request(TakeInteractionDocument, { input: { campaignId: campaign.id } }),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(2);
    for (const refused of results.filter((r) => r.errors))
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CAPACITY_REACHED', max: 2 });
    const { campaignQueue } = await agent.api.ok(CampaignQueueDocument, {
      campaignId: campaign.id,
    });
    expect(campaignQueue).toHaveLength(2);
    // Closing one makes room.
    const [{ id }] = await server.dataSource.query(
      `SELECT id FROM conversation WHERE campaign_id = $1 AND assignee_id = $2 LIMIT 1`,
      [campaign.id, agent.staff.id],
    );
    await server.services.conversations.close(agent.auth, id);
    await agent.api.ok(TakeInteractionDocument, { input: { campaignId: campaign.id } });
  });

  it('C4: a non-member (an agent outside it, a supervisor) or a paused agent may not take: FORBIDDEN', async () => {
    const member = await newAgent(org);
    const outsider = await newAgent(org);
    const supervisor = await newSupervisor(org);
    const campaign = await newCampaign(org, { members: [member] });
    const { conversationId } = await arrive(server, campaign);
    const hidden = await outsider.api.fails(TakeInteractionDocument, {
      input: { campaignId: campaign.id },
    });
    expect(hidden.extensions?.code).toBe('NOT_FOUND'); // an agent does not see it
    const byConversation = await outsider.api.fails(TakeInteractionDocument, {
      input: { conversationId },
    });
    expect(byConversation.extensions?.code).toBe('NOT_FOUND');
    const notMember = await supervisor.api.fails(TakeInteractionDocument, {
      input: { campaignId: campaign.id },
    });
    expect(notMember.extensions?.code).toBe('FORBIDDEN');
    await server.dataSource.query(
      `UPDATE staff SET paused_at = now(), pause_reason = 'break' WHERE id = $1`,
      [member.staff.id],
    );
    const paused = await member.api.fails(TakeInteractionDocument, {
      input: { campaignId: campaign.id },
    });
    expect(paused.extensions?.code).toBe('FORBIDDEN');
    await server.dataSource.query(`UPDATE staff SET paused_at = NULL WHERE id = $1`, [
      member.staff.id,
    ]);
    const { campaignQueue } = await member.api.ok(CampaignQueueDocument, {
      campaignId: campaign.id,
    });
    expect(campaignQueue.map((q) => q.conversationId)).toEqual([conversationId]);
  });

  it('C4: takeInteraction takes exactly one of campaignId and conversationId', async () => {
    const error = await agents[0].api.fails(TakeInteractionDocument, { input: {} });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'campaignId' });
  });

  it('C5: an interaction waiting past the abandon timeout is ABANDONED, and leaves the queue', async () => {
    const campaign = await newCampaign(org, { members: agents, abandonAfterSeconds: 1 });
    const { conversationId } = await arrive(server, campaign);
    await eventually(
      async () => {
        const [row] = await server.dataSource.query(
          'SELECT status, routing_reason FROM conversation WHERE id = $1',
          [conversationId],
        );
        return row.status === 'CLOSED' && row.routing_reason === 'ABANDONED';
      },
      8000,
      'the interaction abandoned',
    );
    const { campaignQueue } = await agents[0].api.ok(CampaignQueueDocument, {
      campaignId: campaign.id,
    });
    expect(campaignQueue).toEqual([]);
    const late = await agents[0].api.fails(TakeInteractionDocument, { input: { conversationId } });
    expect(late.extensions?.code).toBe('CONFLICT');
  });

  it('C5: abandonInteraction is for INTEGRATION keys (a bot that saw the customer leave)', async () => {
    const campaign = await newCampaign(org, { members: agents });
    const { conversationId } = await arrive(server, campaign);
    const { key } = await server.services.apiKeys.create(org.admin.auth, 'Bot', Role.INTEGRATION);
    const bot = new GraphQLClient(server.url, key);
    const refused = await agents[0].api.fails(AbandonInteractionDocument, {
      input: { conversationId },
    });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    const { abandonInteraction } = await bot.ok(AbandonInteractionDocument, {
      input: { conversationId },
    });
    expect(abandonInteraction.conversation).toMatchObject({
      status: 'CLOSED',
      routingReason: 'ABANDONED',
    });
    const twice = await bot.fails(AbandonInteractionDocument, { input: { conversationId } });
    expect(twice.extensions?.code).toBe('CONFLICT');
  });
});

describe('campaign queue across instances (C4)', () => {
  it('C4: two agents on two instances taking the same interaction: one wins, the other is told who', async () => {
    const cluster = await startTwoInstances();
    try {
      const org = await newOrg(cluster.a);
      const [ana, bo] = await Promise.all([newAgent(org), newAgent(org)]);
      const campaign = await newCampaign(org, {
        provider: await newWhatsAppProvider(org),
        members: [ana, bo],
      });
      const onA = new GraphQLClient(cluster.a.url, ana.token);
      const onB = new GraphQLClient(cluster.b.url, bo.token);
      for (let round = 0; round < 3; round++) {
        const { conversationId } = await arrive(cluster.a, campaign);
        const results = await Promise.all(
          [onA, onB].map((client) =>
            client.request(TakeInteractionDocument, { input: { conversationId } }),
          ),
        );
        expect(results.filter((r) => !r.errors)).toHaveLength(1);
        expect(results.find((r) => r.errors)?.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      }
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
