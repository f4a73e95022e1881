import { randomUUID } from 'node:crypto';
import type { Campaign } from '../../../src/entities/campaign.entity';
import type { Provider } from '../../../src/entities/provider.entity';
import {
  CampaignReplyDocument,
  CloseConversationDocument,
  ContactHistoryDocument,
  InteractionHeaderDocument,
  TakeInteractionDocument,
} from '../../generated/graphql';
import { newCampaign, newWhatsAppProvider } from '../../support/campaigns';
import {
  newAgent,
  newConversation,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../../support/factories';
import { campaignOnStub, conversationOfMessage, webhookUrl } from '../../support/providers/setup';
import { WhatsAppCloudStub } from '../../support/providers/whatsapp-cloud-stub';
import { startTestServer, type TestServer } from '../../support/server';

describe('what an agent reads of a campaign interaction (C7, C8)', () => {
  let server: TestServer;
  let org: Org;
  let agent: Member;
  let supervisor: Member;
  let campaign: Campaign;
  let provider: Provider;
  const stub = new WhatsAppCloudStub();

  beforeAll(async () => {
    server = await startTestServer({ config: { jobPollIntervalMs: 100 } });
    org = await newOrg(server);
    await stub.start();
    [agent, supervisor] = await Promise.all([newAgent(org), newSupervisor(org)]);
    ({ campaign, provider } = await campaignOnStub(org, stub, {
      name: 'Winter sale',
      members: [agent],
    }));
  }, 120_000);
  afterAll(async () => {
    await server.stop();
    await stub.stop();
  });

  let numbers = 0;
  const newNumber = () => `+3491765${String(1000 + numbers++).padStart(4, '0')}`;

  /**
   * The customer writes to a campaign's number: through the signed webhook for the stub's number
   * (which opens the 24-hour window), straight to inbound processing for another provider.
   */
  const write = async (from: string, body: string, to: Provider = provider) => {
    if (to.id !== provider.id) {
      return server.services.inbound.receive({
        providerId: to.id,
        providerMessageId: `wamid.${randomUUID()}`,
        from,
        to: to.accountNumber,
        body,
        providerTimestamp: new Date(),
        contentType: 'text',
      });
    }
    await stub.deliver(webhookUrl(org, provider), stub.inboundBody([{ from, body }]));
    return { conversationId: await conversationOfMessage(org, body) };
  };

  const take = (conversationId: string) =>
    agent.api.ok(TakeInteractionDocument, { input: { conversationId } });

  it("C7: Contact.history is the customer's previous messages across earlier interactions, newest first, paged", async () => {
    const number = newNumber();
    const earlier = await write(number, 'My order never came');
    await take(earlier.conversationId);
    await agent.api.ok(CampaignReplyDocument, {
      input: { conversationId: earlier.conversationId, body: 'Sorry, it leaves today' },
    });
    await agent.api.ok(CloseConversationDocument, {
      input: { conversationId: earlier.conversationId },
    });
    // The interaction is closed: the next message opens another one.
    const now = await write(number, 'It came broken');
    expect(now.conversationId).not.toBe(earlier.conversationId);
    await take(now.conversationId);

    // The console shows the interaction's own messages, and its history without them.
    const previous = await agent.api.ok(ContactHistoryDocument, {
      id: now.conversationId,
      first: 10,
      excludeConversationId: now.conversationId,
    });
    const contact = previous.conversation.contact;
    expect(contact?.value).toBe(number);
    expect(contact?.history.totalCount).toBe(2);
    expect(contact?.history.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({
        body: 'Sorry, it leaves today',
        direction: 'OUTGOING',
        conversationId: earlier.conversationId,
      }),
      expect.objectContaining({
        body: 'My order never came',
        direction: 'INCOMING',
        conversationId: earlier.conversationId,
      }),
    ]);

    // Everything, paged: newest first, no repeat, no gap.
    const page1 = await agent.api.ok(ContactHistoryDocument, { id: now.conversationId, first: 2 });
    expect(page1.conversation.contact?.history).toMatchObject({
      totalCount: 3,
      pageInfo: { hasNextPage: true },
    });
    const page2 = await agent.api.ok(ContactHistoryDocument, {
      id: now.conversationId,
      first: 2,
      after: page1.conversation.contact?.history.pageInfo.endCursor,
    });
    expect(page2.conversation.contact?.history.pageInfo.hasNextPage).toBe(false);
    expect(
      [page1, page2].flatMap((p) => p.conversation.contact?.history.edges.map((e) => e.node.body)),
    ).toEqual(['It came broken', 'Sorry, it leaves today', 'My order never came']);
  });

  it('C7: the history holds only the conversations the caller may see', async () => {
    const number = newNumber();
    // The same customer also writes to a campaign the agent is not a member of.
    const elsewhere = await newWhatsAppProvider(org);
    await newCampaign(org, { provider: elsewhere });
    await write(number, 'Question for the other team', elsewhere);
    const mine = await write(number, 'Question for you');
    await take(mine.conversationId);

    const bodies = async (member: Member) => {
      const { conversation } = await member.api.ok(ContactHistoryDocument, {
        id: mine.conversationId,
        first: 10,
      });
      return {
        total: conversation.contact?.history.totalCount,
        bodies: conversation.contact?.history.edges.map((e) => e.node.body),
      };
    };
    expect(await bodies(agent)).toEqual({ total: 1, bodies: ['Question for you'] });
    expect(await bodies(supervisor)).toEqual({
      total: 2,
      bodies: ['Question for you', 'Question for the other team'],
    });
  });

  it('C8: an interaction shows its campaign’s name, the number it comes from and its identifier', async () => {
    const number = newNumber();
    const { conversationId } = await write(number, 'Hello');
    await take(conversationId);
    const { conversation } = await agent.api.ok(InteractionHeaderDocument, { id: conversationId });
    expect(conversation).toMatchObject({
      id: conversationId,
      campaign: { id: campaign.id, name: 'Winter sale' },
      number,
      campaignNumber: provider.accountNumber,
      assignee: { id: agent.staff.id },
      direction: 'INCOMING',
      interactionState: 'ACTIVE',
    });
    // A conversation outside campaigns has none of it.
    const plain = await newConversation(org, { body: 'Hi' });
    const { conversation: other } = await org.admin.api.ok(InteractionHeaderDocument, {
      id: plain.id,
    });
    expect(other).toMatchObject({ campaign: null, campaignNumber: null, interactionState: null });
  });
});
