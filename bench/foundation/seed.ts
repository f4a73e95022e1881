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

const AGENTS = ['Ada Moreau', 'Bilal Haddad', 'Chiara Rossi', 'Dmitri Volkov', 'Efua Mensah'];
const CHANNELS = [Channel.CHAT, Channel.EMAIL, Channel.SMS, Channel.WHATSAPP, Channel.VOICE];

export interface SeedShape {
  customers: number;
  /** Each customer gets this many conversations, plus 0, 1 or 2 more in turn. */
  conversationsPerCustomer: number;
}

export interface FoundationData {
  organizationId: string;
  /** The AGENT whose token the load requests carry (a member of the inbox of every conversation). */
  viewer: { staffId: string; token: string };
  counts: { staff: number; customers: number; contacts: number; conversations: number };
}

/**
 * One organization as a contact center has it, created through the services like the API
 * would: an admin, a handful of agents in the General inbox, customers with an email and a
 * phone contact each, and their conversations (each opened with a message) assigned to agents.
 */
export async function seedFoundation(
  server: TandemServer,
  shape: SeedShape,
): Promise<FoundationData> {
  const { services } = server;
  const adminEmail = 'admin@bench.tandem.test';
  const { organization, inbox, admin } = await services.organizations.create({
    name: 'Bench Contact Center',
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const { auth: adminAuth } = await signedIn(server, adminEmail);

  const agents: Staff[] = [];
  for (const [index, name] of AGENTS.entries()) {
    agents.push(
      await services.staff.create(adminAuth, {
        name,
        email: `agent-${index + 1}@bench.tandem.test`,
        password: BENCH_PASSWORD,
        role: Role.AGENT,
      }),
    );
  }
  await services.inboxes.setMembers(adminAuth, inbox.id, [
    admin.id,
    ...agents.map((agent) => agent.id),
  ]);

  const indexes = Array.from({ length: shape.customers }, (_, index) => index);
  await forEachConcurrently(indexes, 4, async (index) => {
    const { first, last } = customerName(index);
    const customer = await services.customers.create(adminAuth, {
      name: `${first} ${last}`,
      email: `${first}.${last}.${index}@example.com`.toLowerCase(),
      phone: `+1415555${String(index).padStart(4, '0')}`,
    });
    const count = shape.conversationsPerCustomer + (index % 3);
    for (let n = 0; n < count; n++) {
      const conversation = await services.conversations.start(adminAuth, {
        customerId: customer.id,
        channel: CHANNELS[(index + n) % CHANNELS.length] as Channel,
        inboxId: inbox.id,
        body: OPENERS[(index * 7 + n) % OPENERS.length],
      });
      const agent = agents[(index + n) % agents.length];
      if (agent) await services.conversations.assign(adminAuth, conversation.id, agent.id);
    }
  });

  const viewer = await signedIn(server, 'agent-1@bench.tandem.test');
  const [counts] = (await server.dataSource.query(
    `SELECT (SELECT count(*)::int FROM staff WHERE organization_id = $1) AS staff,
            (SELECT count(*)::int FROM customer WHERE organization_id = $1) AS customers,
            (SELECT count(*)::int FROM contact WHERE organization_id = $1) AS contacts,
            (SELECT count(*)::int FROM conversation WHERE organization_id = $1) AS conversations`,
    [organization.id],
  )) as [FoundationData['counts']];
  return {
    organizationId: organization.id,
    viewer: { staffId: viewer.auth.staffId as string, token: viewer.token },
    counts,
  };
}
