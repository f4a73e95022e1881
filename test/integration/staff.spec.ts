import {
  CreateStaffDocument,
  DeactivateStaffDocument,
  MeDocument,
  SetMyStatusDocument,
  SignInDocument,
  StaffMembersDocument,
  UpdateStaffDocument,
} from '../generated/graphql';
import { newAgent, newOrg, PASSWORD, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

describe('staff', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('lets an ADMIN create staff who can then sign in, member of their default inbox', async () => {
    const { createStaff } = await org.admin.api.ok(CreateStaffDocument, {
      input: {
        name: 'Hanna',
        email: 'Hanna@Example.com',
        password: 'a long password',
        role: 'DISPATCHER',
        defaultInboxId: org.inbox.id,
      },
    });
    expect(createStaff.staff).toMatchObject({
      name: 'Hanna',
      email: 'hanna@example.com',
      role: 'DISPATCHER',
      active: true,
      status: 'OFFLINE',
    });
    expect(createStaff.staff.defaultInbox?.id).toBe(org.inbox.id);
    await org.anonymous.ok(SignInDocument, {
      input: { email: 'hanna@example.com', password: 'a long password' },
    });
    const [member] = await server.dataSource.query(
      'SELECT 1 FROM inbox_member WHERE staff_id = $1',
      [createStaff.staff.id],
    );
    expect(member).toBeDefined();
  });

  it('refuses staff management to everyone but an ADMIN', async () => {
    const agent = await newAgent(org);
    const error = await agent.api.fails(CreateStaffDocument, {
      input: { name: 'X', email: 'x@example.com', password: 'a long password', role: 'ADMIN' },
    });
    expect(error.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses INTEGRATION as the role of a person', async () => {
    const error = await org.admin.api.fails(CreateStaffDocument, {
      input: {
        name: 'Bot',
        email: 'bot@example.com',
        password: 'a long password',
        role: 'INTEGRATION',
      },
    });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'role' });
  });

  it('changing a password signs the staff member out everywhere', async () => {
    const agent = await newAgent(org);
    await org.admin.api.ok(UpdateStaffDocument, {
      input: { staffId: agent.staff.id, password: 'another long one' },
    });
    const after = await agent.api.request(MeDocument);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await org.anonymous.ok(SignInDocument, {
      input: { email: agent.staff.email, password: 'another long one' },
    });
  });

  it('never leaves an organization without an active ADMIN', async () => {
    const lonely = await newOrg(server);
    const demote = await lonely.admin.api.fails(UpdateStaffDocument, {
      input: { staffId: lonely.admin.staff.id, role: 'AGENT' },
    });
    expect(demote.extensions?.code).toBe('CONFLICT');
    const deactivate = await lonely.admin.api.fails(DeactivateStaffDocument, {
      input: { staffId: lonely.admin.staff.id },
    });
    expect(deactivate.extensions?.code).toBe('CONFLICT');
    const { me } = await lonely.admin.api.ok(MeDocument);
    expect(me?.role).toBe('ADMIN');
  });

  it('deactivates: the staff member cannot sign in any more', async () => {
    const agent = await newAgent(org);
    const { deactivateStaff } = await org.admin.api.ok(DeactivateStaffDocument, {
      input: { staffId: agent.staff.id },
    });
    expect(deactivateStaff.staff.active).toBe(false);
    const error = await org.anonymous.fails(SignInDocument, {
      input: { email: agent.staff.email, password: PASSWORD },
    });
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('sets my own status', async () => {
    const agent = await newAgent(org);
    const { setMyStatus } = await agent.api.ok(SetMyStatusDocument, {
      input: { status: 'ONLINE' },
    });
    expect(setMyStatus.staff).toMatchObject({ id: agent.staff.id, status: 'ONLINE' });
  });

  it('lists staff by name, filtered by role, in pages', async () => {
    const other = await newOrg(server);
    for (const name of ['Carla', 'Alba', 'Bruno']) await newAgent(other, { name });
    const { staffMembers } = await other.admin.api.ok(StaffMembersDocument, {
      first: 2,
      filter: { role: 'AGENT' },
    });
    expect(staffMembers.totalCount).toBe(3);
    expect(staffMembers.edges.map((e) => e.node.name)).toEqual(['Alba', 'Bruno']);
    const next = await other.admin.api.ok(StaffMembersDocument, {
      first: 2,
      filter: { role: 'AGENT' },
      after: staffMembers.pageInfo.endCursor,
    });
    expect(next.staffMembers.edges.map((e) => e.node.name)).toEqual(['Carla']);
    expect(next.staffMembers.pageInfo.hasNextPage).toBe(false);
  });
});
