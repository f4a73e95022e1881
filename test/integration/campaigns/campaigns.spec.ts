import {
  CampaignByIdDocument,
  CampaignsDocument,
  CreateCampaignDocument,
  DeactivateStaffDocument,
  InboxDocument,
  SetCampaignMembersDocument,
  UpdateCampaignDocument,
} from '../../generated/graphql';
import { newCampaign, newWhatsAppProvider } from '../../support/campaigns';
import {
  newAgent,
  newDispatcher,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../../support/factories';
import { startTestServer, type TestServer } from '../../support/server';

describe('campaigns (C2, C17)', () => {
  let server: TestServer;
  let org: Org;
  let other: Org;
  let agents: Member[];

  beforeAll(async () => {
    server = await startTestServer();
    [org, other] = await Promise.all([newOrg(server), newOrg(server)]);
    agents = await Promise.all([newAgent(org), newAgent(org), newAgent(org)]);
  });
  afterAll(() => server.stop());

  const input = (providerId: string, extra: Record<string, unknown> = {}) => ({
    name: `Sales ${Math.random()}`,
    providerId,
    maxInteractionsPerAgent: 4,
    serviceLevelSeconds: 30,
    abandonAfterSeconds: 600,
    ...extra,
  });

  it('C2: a campaign has a name, provider, maximum per agent, service level, abandon timeout, canned responses (templates among them), enabled flag and members; it gets a WHATSAPP inbox of its own', async () => {
    const provider = await newWhatsAppProvider(org);
    const { createCampaign } = await org.admin.api.ok(CreateCampaignDocument, {
      input: input(provider.id, {
        name: 'Spring sale',
        memberIds: [agents[0].staff.id, agents[1].staff.id],
        cannedResponses: [
          { title: 'Hello', body: 'Hi! How can I help?' },
          {
            title: 'Follow-up',
            body: 'Hello {{1}}, your order is ready.',
            templateName: 'order_ready',
            templateLanguage: 'en_US',
          },
        ],
      }),
    });
    const campaign = createCampaign.campaign;
    expect(campaign).toMatchObject({
      name: 'Spring sale',
      maxInteractionsPerAgent: 4,
      serviceLevelSeconds: 30,
      abandonAfterSeconds: 600,
      enabled: true,
      provider: { id: provider.id },
      inbox: { name: 'Campaign: Spring sale', channels: ['WHATSAPP'] },
    });
    expect(campaign.members.map((m) => m.id).sort()).toEqual(
      [agents[0].staff.id, agents[1].staff.id].sort(),
    );
    expect(campaign.cannedResponses).toEqual([
      expect.objectContaining({ title: 'Hello', templateName: null, position: 0 }),
      expect.objectContaining({
        title: 'Follow-up',
        templateName: 'order_ready',
        templateLanguage: 'en_US',
        position: 1,
      }),
    ]);
    // Its inbox has the campaign's members, so they see its conversations.
    const { inbox } = await agents[0].api.ok(InboxDocument, { id: campaign.inbox.id });
    expect(inbox.members.map((m) => m.id).sort()).toEqual(
      [agents[0].staff.id, agents[1].staff.id].sort(),
    );
  });

  it('C2: the name is unique in the organization (CONFLICT), not across organizations', async () => {
    const name = `Unique ${Math.random()}`;
    await newCampaign(org, { name });
    const error = await org.admin.api.fails(CreateCampaignDocument, {
      input: input((await newWhatsAppProvider(org)).id, { name }),
    });
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
    await newCampaign(other, { name });
    const renamed = await newCampaign(org);
    const clash = await org.admin.api.fails(UpdateCampaignDocument, {
      input: { campaignId: renamed.id, name },
    });
    expect(clash.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
  });

  it('C2: a provider number serves at most one enabled campaign (CONFLICT naming it); a disabled one may share it', async () => {
    const provider = await newWhatsAppProvider(org);
    const first = await newCampaign(org, { provider });
    const second = await org.admin.api.fails(CreateCampaignDocument, {
      input: input(provider.id),
    });
    expect(second.extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'providerId',
      campaignId: first.id,
    });
    const parked = await newCampaign(org, { provider, enabled: false });
    const enabling = await org.admin.api.fails(UpdateCampaignDocument, {
      input: { campaignId: parked.id, enabled: true },
    });
    expect(enabling.extensions).toMatchObject({ code: 'CONFLICT', campaignId: first.id });
    // Two admins creating enabled campaigns on one new number at once: one wins.
    const fresh = await newWhatsAppProvider(org);
    const results = await Promise.all(
      [1, 2].map(() => org.admin.api.request(CreateCampaignDocument, { input: input(fresh.id) })),
    );
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(1);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
  });

  it('C2: disabling keeps everything (members, canned responses, settings), and enabling brings it back', async () => {
    const campaign = await newCampaign(org, {
      members: [agents[2]],
      cannedResponses: [{ title: 'Hi', body: 'Hello!' }],
    });
    const before = await org.admin.api.ok(CampaignByIdDocument, { id: campaign.id });
    const { updateCampaign } = await org.admin.api.ok(UpdateCampaignDocument, {
      input: { campaignId: campaign.id, enabled: false },
    });
    expect(updateCampaign.campaign).toEqual({ ...before.campaign, enabled: false });
    const back = await org.admin.api.ok(UpdateCampaignDocument, {
      input: { campaignId: campaign.id, enabled: true },
    });
    expect(back.updateCampaign.campaign).toEqual(before.campaign);
  });

  it('C2: canned responses are replaced as a list: kept by id, changed, added, removed; a template needs its name and language', async () => {
    const campaign = await newCampaign(org, {
      cannedResponses: [
        { title: 'A', body: 'a' },
        { title: 'B', body: 'b' },
      ],
    });
    const { campaign: before } = await org.admin.api.ok(CampaignByIdDocument, { id: campaign.id });
    const [a, b] = before.cannedResponses;
    const { updateCampaign } = await org.admin.api.ok(UpdateCampaignDocument, {
      input: {
        campaignId: campaign.id,
        cannedResponses: [
          { id: b.id, title: 'B2', body: 'b2', templateName: 'b_tpl', templateLanguage: 'es' },
          { title: 'C', body: 'c' },
        ],
      },
    });
    const after = updateCampaign.campaign.cannedResponses;
    expect(after.map((r) => [r.title, r.position])).toEqual([
      ['B2', 0],
      ['C', 1],
    ]);
    expect(after[0].id).toBe(b.id);
    expect(after.map((r) => r.id)).not.toContain(a.id);

    const half = await org.admin.api.fails(UpdateCampaignDocument, {
      input: {
        campaignId: campaign.id,
        name: 'Should not stick',
        cannedResponses: [{ title: 'T', body: 't', templateName: 'only_name' }],
      },
    });
    expect(half.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'cannedResponses.0.templateLanguage',
    });
    const foreign = await org.admin.api.fails(UpdateCampaignDocument, {
      input: { campaignId: campaign.id, cannedResponses: [{ id: a.id, title: 'x', body: 'x' }] },
    });
    expect(foreign.extensions?.code).toBe('NOT_FOUND');
    const { campaign: unchanged } = await org.admin.api.ok(CampaignByIdDocument, {
      id: campaign.id,
    });
    expect(unchanged).toEqual(updateCampaign.campaign);
  });

  it('C2: numbers out of range are BAD_USER_INPUT', async () => {
    const provider = await newWhatsAppProvider(org);
    for (const extra of [
      { maxInteractionsPerAgent: 0 },
      { serviceLevelSeconds: -1 },
      { abandonAfterSeconds: 0 },
    ]) {
      const error = await org.admin.api.fails(CreateCampaignDocument, {
        input: input(provider.id, extra),
      });
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('C17: members must be active agents of the organization: a supervisor, a dispatcher or a deactivated agent is BAD_USER_INPUT naming them, and nothing changes', async () => {
    const campaign = await newCampaign(org, { members: [agents[0]] });
    const [supervisor, dispatcher, leaving] = await Promise.all([
      newSupervisor(org),
      newDispatcher(org),
      newAgent(org),
    ]);
    await org.admin.api.ok(DeactivateStaffDocument, { input: { staffId: leaving.staff.id } });
    for (const unfit of [supervisor, dispatcher, leaving]) {
      const error = await org.admin.api.fails(SetCampaignMembersDocument, {
        input: { campaignId: campaign.id, staffIds: [agents[1].staff.id, unfit.staff.id] },
      });
      expect(error.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'staffIds',
        staffId: unfit.staff.id,
      });
      expect(error.message).toContain(unfit.staff.name);
    }
    const creating = await org.admin.api.fails(CreateCampaignDocument, {
      input: input((await newWhatsAppProvider(org)).id, { memberIds: [supervisor.staff.id] }),
    });
    expect(creating.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'memberIds',
      staffId: supervisor.staff.id,
    });
    const { campaign: kept } = await org.admin.api.ok(CampaignByIdDocument, { id: campaign.id });
    expect(kept.members.map((m) => m.id)).toEqual([agents[0].staff.id]);
    const { setCampaignMembers } = await org.admin.api.ok(SetCampaignMembersDocument, {
      input: { campaignId: campaign.id, staffIds: [agents[1].staff.id, agents[2].staff.id] },
    });
    expect(setCampaignMembers.campaign.members.map((m) => m.id).sort()).toEqual(
      [agents[1].staff.id, agents[2].staff.id].sort(),
    );
    const { inbox } = await org.admin.api.ok(InboxDocument, { id: kept.inbox.id });
    expect(inbox.members.map((m) => m.id).sort()).toEqual(
      [agents[1].staff.id, agents[2].staff.id].sort(),
    );
  });

  it('C2: ADMIN writes; supervisors and dispatchers read every campaign; an agent reads the campaigns they belong to, others are NOT_FOUND', async () => {
    const agent = await newAgent(org);
    const mine = await newCampaign(org, { members: [agent] });
    const notMine = await newCampaign(org);
    const supervisor = await newSupervisor(org);
    const dispatcher = await newDispatcher(org);
    for (const reader of [supervisor, dispatcher]) {
      await reader.api.ok(CampaignByIdDocument, { id: notMine.id });
      const refused = await reader.api.fails(UpdateCampaignDocument, {
        input: { campaignId: notMine.id, enabled: false },
      });
      expect(refused.extensions?.code).toBe('FORBIDDEN');
    }
    const seen = await agent.api.ok(CampaignsDocument, { first: 100 });
    expect(seen.campaigns.edges.map((e) => e.node.id)).toEqual([mine.id]);
    expect(seen.campaigns.totalCount).toBe(1);
    const hidden = await agent.api.fails(CampaignByIdDocument, { id: notMine.id });
    expect(hidden.extensions?.code).toBe('NOT_FOUND');
    const creating = await agent.api.fails(CreateCampaignDocument, {
      input: input(mine.providerId as string),
    });
    expect(creating.extensions?.code).toBe('FORBIDDEN');
  });

  it("C2: another organization's campaign, staff and provider are NOT_FOUND", async () => {
    const theirs = await newCampaign(other);
    const theirAgent = await newAgent(other);
    const mine = await newCampaign(org);
    const errors = await Promise.all([
      org.admin.api.fails(CampaignByIdDocument, { id: theirs.id }),
      org.admin.api.fails(UpdateCampaignDocument, { input: { campaignId: theirs.id, name: 'x' } }),
      org.admin.api.fails(SetCampaignMembersDocument, {
        input: { campaignId: theirs.id, staffIds: [] },
      }),
      org.admin.api.fails(SetCampaignMembersDocument, {
        input: { campaignId: mine.id, staffIds: [theirAgent.staff.id] },
      }),
      org.admin.api.fails(UpdateCampaignDocument, {
        input: { campaignId: mine.id, providerId: theirs.providerId as string },
      }),
    ]);
    for (const error of errors) expect(error.extensions?.code).toBe('NOT_FOUND');
    const listed = await org.admin.api.ok(CampaignsDocument, { first: 100 });
    expect(listed.campaigns.edges.map((e) => e.node.id)).not.toContain(theirs.id);
  });
});
