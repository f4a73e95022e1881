import { Channel, Role } from '../../src/entities/enums';
import type { Staff } from '../../src/entities/staff.entity';
import type { TandemServer } from '../../src/server';
import {
  BENCH_PASSWORD,
  OPENERS,
  customerName,
  forEachConcurrently,
  signedIn,
} from '../support/seeding';

const VIEWER = 'Helena Brandt';
const COLLEAGUES = [
  'Ada Moreau',
  'Bilal Haddad',
  'Chiara Rossi',
  'Dmitri Volkov',
  'Efua Mensah',
  'Farid Karimi',
  'Greta Holm',
];
const CHANNELS = [Channel.CHAT, Channel.EMAIL, Channel.SMS, Channel.WHATSAPP];

export interface HelpersShape {
  /** Customers in the organization. */
  customers: number;
  /** How many of them the viewer helps (more than a page, so the dashboard's page is full). */
  helpedByViewer: number;
}

export interface HelpersData {
  organizationId: string;
  /** The AGENT whose token the load requests carry: helps `helpedByViewer` customers. */
  viewer: { staffId: string; token: string };
  counts: {
    staff: number;
    customers: number;
    conversations: number;
    /** Current helper assignments, and ended ones (history the queries must leave out). */
    activeHelpers: number;
    endedHelpers: number;
    /** Conversations in an inbox the viewer is not a member of (lastConversation skips them). */
    hiddenConversations: number;
  };
}

/**
 * An organization whose customers have helpers, created through the services as the API would:
 * the viewer (an AGENT) helps `helpedByViewer` customers, colleagues help some of the same and
 * others, some help ended (history), some customers have no helper at all. Every customer has
 * 1 to 3 conversations in the General inbox (some closed); every fifth also a newer one in a
 * Billing inbox the viewer is not a member of, which their `lastConversation` must not show, and
 * every tenth only one in Billing (no last conversation for the viewer).
 */
export async function seedHelpers(server: TandemServer, shape: HelpersShape): Promise<HelpersData> {
  const { services } = server;
  const adminEmail = 'admin@helpers.bench.tandem.test';
  const { organization, inbox, admin } = await services.organizations.create({
    name: 'Bench Helpers',
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const { auth: adminAuth } = await signedIn(server, adminEmail);

  const newAgent = (name: string, index: number) =>
    services.staff.create(adminAuth, {
      name,
      email: `agent-${index}@helpers.bench.tandem.test`,
      password: BENCH_PASSWORD,
      role: Role.AGENT,
    });
  const viewerStaff = await newAgent(VIEWER, 0);
  const colleagues: Staff[] = [];
  for (const [index, name] of COLLEAGUES.entries())
    colleagues.push(await newAgent(name, index + 1));
  await services.inboxes.setMembers(adminAuth, inbox.id, [
    admin.id,
    viewerStaff.id,
    ...colleagues.map((agent) => agent.id),
  ]);
  const billing = await services.inboxes.create(adminAuth, {
    name: 'Billing',
    channels: Object.values(Channel),
  });
  await services.inboxes.setMembers(
    adminAuth,
    billing.id,
    colleagues.map((agent) => agent.id),
  );

  const colleague = (n: number) => colleagues[n % colleagues.length] as Staff;
  const indexes = Array.from({ length: shape.customers }, (_, index) => index);
  await forEachConcurrently(indexes, 4, async (index) => {
    const { first, last } = customerName(index, 7);
    const customer = await services.customers.create(adminAuth, {
      name: `${first} ${last}`,
      email: `${first}.${last}.${index}@example.com`.toLowerCase(),
    });
    const start = (inboxId: string, n: number) =>
      services.conversations.start(adminAuth, {
        customerId: customer.id,
        channel: CHANNELS[(index + n) % CHANNELS.length] as Channel,
        inboxId,
        body: OPENERS[(index * 3 + n) % OPENERS.length],
      });
    // Every tenth customer wrote only to Billing: no conversation the viewer may see.
    let newest;
    const general = index % 10 === 7 ? 0 : 1 + (index % 3);
    for (let n = 0; n < general; n++) newest = await start(inbox.id, n);
    if (newest && index % 3 === 1) await services.conversations.close(adminAuth, newest.id);
    if (index % 5 === 0 || general === 0) await start(billing.id, 9);

    // Helpers, in an order that is not the customers': assigned_at orders a customer's helpers.
    const add = (staffId: string) => services.helpers.add(adminAuth, customer.id, staffId);
    if (index % 2 === 0) await add(colleague(index).id);
    if (index < shape.helpedByViewer) await add(viewerStaff.id);
    if (index % 3 === 0) await add(colleague(index + 3).id);
    if (index % 4 === 0) {
      // Help that ended: history, which the queries must not show.
      const ended = colleague(index + 5);
      if (ended.id !== colleague(index).id && ended.id !== colleague(index + 3).id) {
        await add(ended.id);
        await services.helpers.end(adminAuth, customer.id, ended.id);
      }
    }
  });

  const viewer = await signedIn(server, 'agent-0@helpers.bench.tandem.test');
  const [counts] = (await server.dataSource.query(
    `SELECT (SELECT count(*)::int FROM staff WHERE organization_id = $1) AS staff,
            (SELECT count(*)::int FROM customer WHERE organization_id = $1) AS customers,
            (SELECT count(*)::int FROM conversation WHERE organization_id = $1) AS conversations,
            (SELECT count(*)::int FROM helper_assignment
              WHERE organization_id = $1 AND ended_at IS NULL) AS "activeHelpers",
            (SELECT count(*)::int FROM helper_assignment
              WHERE organization_id = $1 AND ended_at IS NOT NULL) AS "endedHelpers",
            (SELECT count(*)::int FROM conversation
              WHERE organization_id = $1 AND inbox_id = $2) AS "hiddenConversations"`,
    [organization.id, billing.id],
  )) as [HelpersData['counts']];
  return {
    organizationId: organization.id,
    viewer: { staffId: viewerStaff.id, token: viewer.token },
    counts,
  };
}
