import { randomBytes } from 'node:crypto';
import { Channel, Role } from '../../src/entities/enums';
import { ProviderKind } from '../../src/entities/provider.entity';
import type { TandemServer } from '../../src/server';
import { BENCH_PASSWORD, forEachConcurrently, signedIn } from '../support/seeding';

export interface SupervisionShape {
  /** Agents, each with one conversation a supervisor spies on. */
  spied: number;
  /** Agents whose sign-ins the fan-out watchers share. */
  watcherAgents: number;
}

export interface SupervisionData {
  organizationId: string;
  adminToken: string;
  supervisorToken: string;
  /** Spied agents and their conversation (assigned to them). */
  spied: Array<{ agentId: string; conversationId: string }>;
  /** The fan-out inbox: its conversation, watchers' tokens (agents: guarded; a key: not). */
  fanout: {
    inboxId: string;
    conversationId: string;
    agentTokens: string[];
    integrationKey: string;
  };
  /** The monitored campaign and its provider (arrivals are written to it). */
  campaign: { id: string; providerId: string };
}

/** An organization for the supervision benchmark, made through the services as the API would. */
export async function seedSupervision(
  server: TandemServer,
  shape: SupervisionShape,
): Promise<SupervisionData> {
  const { services } = server;
  const adminEmail = 'admin@supervision.bench.tandem.test';
  const { organization, inbox } = await services.organizations.create({
    name: 'Bench Supervision',
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const { auth: admin, token: adminToken } = await signedIn(server, adminEmail);
  const staff = (email: string, role: Role, name: string) =>
    services.staff.create(admin, { name, email, password: BENCH_PASSWORD, role });

  await staff('supervisor@supervision.bench.tandem.test', Role.SUPERVISOR, 'Sofia Supervisor');
  const supervisor = await signedIn(server, 'supervisor@supervision.bench.tandem.test');

  const spiedAgents: string[] = [];
  await forEachConcurrently(
    Array.from({ length: shape.spied }, (_, i) => i),
    8,
    async (i) => {
      const agent = await staff(
        `spied-${i}@supervision.bench.tandem.test`,
        Role.AGENT,
        `Agent ${i}`,
      );
      spiedAgents[i] = agent.id;
    },
  );
  await services.inboxes.setMembers(admin, inbox.id, [admin.staffId as string, ...spiedAgents]);
  const spied: SupervisionData['spied'] = [];
  await forEachConcurrently(spiedAgents, 8, async (agentId, i) => {
    const customer = await services.customers.create(admin, { name: `Customer ${i}` });
    const conversation = await services.conversations.start(admin, {
      customerId: customer.id,
      channel: Channel.CHAT,
      inboxId: inbox.id,
      body: 'Hello',
    });
    await services.conversations.assign(admin, conversation.id, agentId);
    spied[i] = { agentId, conversationId: conversation.id };
  });

  const fanoutInbox = await services.inboxes.create(admin, {
    name: 'Fan-out',
    channels: [Channel.CHAT],
  });
  const watcherEmails = Array.from(
    { length: shape.watcherAgents },
    (_, i) => `watcher-${i}@supervision.bench.tandem.test`,
  );
  const watchers = await Promise.all(
    watcherEmails.map((email, i) => staff(email, Role.AGENT, `Watcher ${i}`)),
  );
  await services.inboxes.setMembers(admin, fanoutInbox.id, [
    admin.staffId as string,
    ...watchers.map((w) => w.id),
  ]);
  const agentTokens = await Promise.all(
    watcherEmails.map(async (email) => (await signedIn(server, email)).token),
  );
  const customer = await services.customers.create(admin, { name: 'Fan-out customer' });
  const fanoutConversation = await services.conversations.start(admin, {
    customerId: customer.id,
    channel: Channel.CHAT,
    inboxId: fanoutInbox.id,
    body: 'Hello',
  });
  const { key: integrationKey } = await services.apiKeys.create(
    admin,
    'Bench watcher',
    Role.INTEGRATION,
  );

  const unique = () => randomBytes(4).toString('hex');
  const provider = await services.providers.create(admin, {
    name: 'Bench WhatsApp',
    kind: ProviderKind.WHATSAPP_CLOUD,
    accountNumber: '+14155550199',
    phoneNumberId: `pn-${unique()}`,
    businessAccountId: `waba-${unique()}`,
    accessToken: `EAAG-${unique()}`,
    appSecret: `app-secret-${unique()}`,
    verifyToken: `verify-${unique()}`,
  });
  const campaign = await services.campaigns.create(admin, {
    name: 'Bench campaign',
    providerId: provider.id,
    maxInteractionsPerAgent: 3,
    serviceLevelSeconds: 20,
    abandonAfterSeconds: 3600,
    memberIds: spiedAgents.slice(0, 10),
  });

  return {
    organizationId: organization.id,
    adminToken,
    supervisorToken: supervisor.token,
    spied,
    fanout: {
      inboxId: fanoutInbox.id,
      conversationId: fanoutConversation.id,
      agentTokens,
      integrationKey,
    },
    campaign: { id: campaign.id, providerId: provider.id },
  };
}
