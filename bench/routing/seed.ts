import type { Auth } from '../../src/context/auth';
import { Channel, Role, StaffStatus } from '../../src/entities/enums';
import type { TandemServer } from '../../src/server';
import { BENCH_PASSWORD, forEachConcurrently } from '../support/seeding';

export interface RoutingShape {
  agents: number;
  capacity: number;
  customers: number;
}

export interface RoutingData {
  organizationId: string;
  /** The inbox every conversation is started in: the agents are its members. */
  inboxId: string;
  capacity: number;
  /** Signed in once each: the sign-in keeps them reachable for LOCK_TTL_SECONDS. AWAY. */
  agents: Array<{ staffId: string; token: string }>;
  /** An admin (not a member of the inbox) who starts the conversations. */
  dispatcherToken: string;
  customerIds: string[];
}

/**
 * One organization, created through the services as the API would: an inbox with a capacity of
 * `capacity` open conversations per agent, `agents` agents in it (signed in, AWAY), and customers
 * for the conversations.
 */
export async function seedRouting(server: TandemServer, shape: RoutingShape): Promise<RoutingData> {
  const { services } = server;
  const adminEmail = 'admin@routing.bench.tandem.test';
  const { organization } = await services.organizations.create({
    name: 'Bench Routing',
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const dispatcherToken = (await services.auth.signIn(adminEmail, BENCH_PASSWORD)).token;
  const adminAuth = (await services.auth.authenticate(dispatcherToken)) as Auth;
  const inbox = await services.inboxes.create(adminAuth, {
    name: 'Support chat',
    channels: [Channel.CHAT],
  });
  await services.inboxes.update(adminAuth, inbox.id, { agentCapacity: shape.capacity });

  const agents: RoutingData['agents'] = new Array(shape.agents);
  const indexes = Array.from({ length: shape.agents }, (_, index) => index);
  await forEachConcurrently(indexes, 4, async (index) => {
    const email = `agent-${index + 1}@routing.bench.tandem.test`;
    const staff = await services.staff.create(adminAuth, {
      name: `Agent ${index + 1}`,
      email,
      password: BENCH_PASSWORD,
      role: Role.AGENT,
    });
    const { token } = await services.auth.signIn(email, BENCH_PASSWORD);
    const auth = (await services.auth.authenticate(token)) as Auth;
    await services.staff.setStatus(auth, StaffStatus.AWAY);
    agents[index] = { staffId: staff.id, token };
  });
  await services.inboxes.setMembers(
    adminAuth,
    inbox.id,
    agents.map((agent) => agent.staffId),
  );

  const customerIds: string[] = new Array(shape.customers);
  await forEachConcurrently(
    Array.from({ length: shape.customers }, (_, index) => index),
    8,
    async (index) => {
      const customer = await services.customers.create(adminAuth, {
        name: `Customer ${index + 1}`,
        email: `customer-${index + 1}@example.com`,
      });
      customerIds[index] = customer.id;
    },
  );
  return {
    organizationId: organization.id,
    inboxId: inbox.id,
    capacity: shape.capacity,
    agents,
    dispatcherToken,
    customerIds,
  };
}
