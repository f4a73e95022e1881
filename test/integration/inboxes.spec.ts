import {
  CreateInboxDocument,
  InboxDocument,
  InboxesDocument,
  SetInboxMembersDocument,
  UpdateInboxDocument,
} from '../generated/graphql';
import { newAgent, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

describe('inboxes', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('creates an organization with one General inbox taking every channel, the default voice inbox', async () => {
    const { inbox } = await org.admin.api.ok(InboxDocument, { id: org.inbox.id });
    expect(inbox).toMatchObject({ name: 'General', isDefaultVoice: true });
    expect(inbox.channels).toHaveLength(6);
  });

  it('keeps one default voice inbox: naming another moves the flag', async () => {
    const { createInbox } = await org.admin.api.ok(CreateInboxDocument, {
      input: { name: 'Phones', channels: ['VOICE', 'VOICEMAIL'], isDefaultVoice: true },
    });
    expect(createInbox.inbox.isDefaultVoice).toBe(true);
    const { inbox: general } = await org.admin.api.ok(InboxDocument, { id: org.inbox.id });
    expect(general.isDefaultVoice).toBe(false);
    const unset = await org.admin.api.fails(UpdateInboxDocument, {
      input: { inboxId: createInbox.inbox.id, isDefaultVoice: false },
    });
    expect(unset.extensions?.code).toBe('CONFLICT');
    await org.admin.api.ok(UpdateInboxDocument, {
      input: { inboxId: org.inbox.id, isDefaultVoice: true },
    });
    const [{ count }] = await server.dataSource.query(
      'SELECT count(*)::int AS count FROM inbox WHERE organization_id = $1 AND is_default_voice',
      [org.id],
    );
    expect(count).toBe(1);
  });

  it('refuses a second inbox with the same name', async () => {
    await org.admin.api.ok(CreateInboxDocument, { input: { name: 'Billing' } });
    const error = await org.admin.api.fails(CreateInboxDocument, { input: { name: 'Billing' } });
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
  });

  it('replaces the members, and shows an agent only the inboxes they belong to', async () => {
    const { createInbox } = await org.admin.api.ok(CreateInboxDocument, { input: { name: 'VIP' } });
    const [a, b] = await Promise.all([
      newAgent(org, { inboxes: [] }),
      newAgent(org, { inboxes: [] }),
    ]);
    const { setInboxMembers } = await org.admin.api.ok(SetInboxMembersDocument, {
      input: { inboxId: createInbox.inbox.id, staffIds: [a.staff.id, b.staff.id] },
    });
    expect(setInboxMembers.inbox.members.map((m) => m.id).sort()).toEqual(
      [a.staff.id, b.staff.id].sort(),
    );
    await org.admin.api.ok(SetInboxMembersDocument, {
      input: { inboxId: createInbox.inbox.id, staffIds: [a.staff.id] },
    });
    const seenByA = await a.api.ok(InboxesDocument, { first: 50 });
    const seenByB = await b.api.ok(InboxesDocument, { first: 50 });
    expect(seenByA.inboxes.edges.map((e) => e.node.name)).toEqual(['VIP']);
    expect(seenByB.inboxes.totalCount).toBe(0);
    const hidden = await b.api.fails(InboxDocument, { id: createInbox.inbox.id });
    expect(hidden.extensions?.code).toBe('NOT_FOUND');
  });

  it('replaces members atomically when two admins do it at once', async () => {
    const { createInbox } = await org.admin.api.ok(CreateInboxDocument, {
      input: { name: 'Race' },
    });
    const agents = await Promise.all([
      newAgent(org, { inboxes: [] }),
      newAgent(org, { inboxes: [] }),
    ]);
    const results = await Promise.all(
      agents.map((agent) =>
        org.admin.api.request(SetInboxMembersDocument, {
          input: { inboxId: createInbox.inbox.id, staffIds: [agent.staff.id] },
        }),
      ),
    );
    for (const result of results) expect(result.errors).toBeUndefined();
    const { inbox } = await org.admin.api.ok(InboxDocument, { id: createInbox.inbox.id });
    expect(inbox.members).toHaveLength(1);
  });
});
