import { randomBytes } from 'node:crypto';
import type { Auth } from '../../src/context/auth';
import type { Conversation } from '../../src/entities/conversation.entity';
import type { Customer } from '../../src/entities/customer.entity';
import { Channel, Role } from '../../src/entities/enums';
import type { Inbox } from '../../src/entities/inbox.entity';
import type { Staff } from '../../src/entities/staff.entity';
import type { TandemServer } from '../../src/server';
import type { CustomerFields } from '../../src/services/customer/customer.service';
import { GraphQLClient } from './client';

export const PASSWORD = 'correct horse battery';

const unique = () => randomBytes(4).toString('hex');

/** A signed-in staff member: their record, token, HTTP client and service-level auth. */
export interface Member {
  staff: Staff;
  token: string;
  sessionId: string;
  api: GraphQLClient;
  auth: Auth;
}

export interface Org {
  server: TandemServer;
  id: string;
  admin: Member;
  /** The "General" inbox created with the organization (default voice inbox). */
  inbox: Inbox;
  /** An unauthenticated client of the same server. */
  anonymous: GraphQLClient;
}

export async function signIn(
  server: TandemServer,
  email: string,
  password = PASSWORD,
): Promise<Omit<Member, 'staff'> & { staff: Staff }> {
  const { token, sessionId, staff } = await server.services.auth.signIn(email, password);
  const auth = await server.services.auth.authenticate(token);
  if (!auth) throw new Error('could not authenticate a fresh token');
  return { staff, token, sessionId, api: new GraphQLClient(server.url, token), auth };
}

export async function newOrg(server: TandemServer, name = `Org ${unique()}`): Promise<Org> {
  const email = `admin-${unique()}@example.com`;
  const { organization, inbox } = await server.services.organizations.create({
    name,
    adminEmail: email,
    adminPassword: PASSWORD,
  });
  const admin = await signIn(server, email);
  return { server, id: organization.id, admin, inbox, anonymous: new GraphQLClient(server.url) };
}

export interface NewStaffOptions {
  role?: Role;
  name?: string;
  /** Inboxes to be a member of; defaults to the organization's General inbox. */
  inboxes?: Inbox[];
}

export async function newStaff(org: Org, options: NewStaffOptions = {}): Promise<Member> {
  const { services } = org.server;
  const email = `${(options.role ?? Role.AGENT).toLowerCase()}-${unique()}@example.com`;
  const staff = await services.staff.create(org.admin.auth, {
    name: options.name ?? `Staff ${unique()}`,
    email,
    password: PASSWORD,
    role: options.role ?? Role.AGENT,
  });
  for (const inbox of options.inboxes ?? [org.inbox]) {
    // Straight to the table: concurrent factories would race a read-then-replace of the list.
    await org.server.dataSource.query(
      'INSERT INTO inbox_member (inbox_id, staff_id, organization_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [inbox.id, staff.id, org.id],
    );
  }
  return signIn(org.server, email);
}

export const newAgent = (org: Org, options: Omit<NewStaffOptions, 'role'> = {}) =>
  newStaff(org, { ...options, role: Role.AGENT });
export const newSupervisor = (org: Org, options: Omit<NewStaffOptions, 'role'> = {}) =>
  newStaff(org, { ...options, role: Role.SUPERVISOR });
export const newDispatcher = (org: Org, options: Omit<NewStaffOptions, 'role'> = {}) =>
  newStaff(org, { ...options, role: Role.DISPATCHER });

export function newInbox(
  org: Org,
  name = `Inbox ${unique()}`,
  channels = Object.values(Channel),
): Promise<Inbox> {
  return org.server.services.inboxes.create(org.admin.auth, { name, channels });
}

export function newCustomer(org: Org, fields: CustomerFields = {}): Promise<Customer> {
  return org.server.services.customers.create(org.admin.auth, {
    name: `Customer ${unique()}`,
    ...fields,
  });
}

export interface NewConversationOptions {
  customer?: Customer;
  inbox?: Inbox;
  channel?: Channel;
  body?: string;
}

export async function newConversation(
  org: Org,
  options: NewConversationOptions = {},
): Promise<Conversation> {
  const customer = options.customer ?? (await newCustomer(org));
  return org.server.services.conversations.start(org.admin.auth, {
    customerId: customer.id,
    channel: options.channel ?? Channel.CHAT,
    inboxId: (options.inbox ?? org.inbox).id,
    body: options.body,
  });
}

/** Waits until `condition` holds, polling; fails after `timeoutMs`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
