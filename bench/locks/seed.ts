import type { Auth } from '../../src/context/auth';
import { Channel, Role } from '../../src/entities/enums';
import type { TandemServer } from '../../src/server';
import { BENCH_PASSWORD } from '../support/seeding';

/** A staff member signed in once: the token, and the sign-in session an HTTP window acts as. */
export interface SignedIn {
  staffId: string;
  token: string;
  /** The sign-in session: an HTTP-only window (the X-Client-Session header). */
  sessionId: string;
}

/** One window working one ticket. */
export interface Driver extends SignedIn {
  ticketId: string;
}

/** One person working one ticket from an HTTP window and another from a socket window. */
export interface Worker extends Driver {
  /**
   * The socket window's own ticket: a round can end between an open and its release, and under
   * L8 a ticket one of the person's windows still holds stays locked when another window of
   * theirs releases it, so the two transports must not share a ticket.
   */
  socketTicketId: string;
}

export interface LocksData {
  organizationId: string;
  /** Tokens the watcher sockets share (each socket is still a window of its own). */
  watcherTokens: string[];
  /** Fan-out: an inbox per variant of ours (in-process, Redis), with the window that acts in it. */
  fanout: Record<'inProcess' | 'redis' | 'before', { inboxId: string; driver: Driver }>;
  /** Lock operations: windows of one inbox, a ticket each. */
  ops: { inboxId: string; workers: Worker[] };
  /** Inboxes a console (memory figure) watches. */
  consoleInboxes: string[];
  counts: { staff: number; inboxes: number; conversations: number };
}

export interface LocksSeedShape {
  watcherStaff: number;
  opsWorkers: number;
  consoleInboxes: number;
}

/**
 * One organization, created through the services as the API would: agents watching the fan-out
 * inboxes (they share a few sign-ins), an agent acting in each fan-out inbox, agents working
 * tickets of an operations inbox, and inboxes a console watches.
 */
export async function seedLocks(server: TandemServer, shape: LocksSeedShape): Promise<LocksData> {
  const { services } = server;
  const adminEmail = 'admin@locks.bench.tandem.test';
  const { organization, admin } = await services.organizations.create({
    name: 'Bench Co-working Locks',
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const adminToken = (await services.auth.signIn(adminEmail, BENCH_PASSWORD)).token;
  const adminAuth = (await services.auth.authenticate(adminToken)) as Auth;

  let staffCount = 1;
  const newAgent = async (name: string) => {
    staffCount += 1;
    const email = `agent-${staffCount}@locks.bench.tandem.test`;
    const staff = await services.staff.create(adminAuth, {
      name,
      email,
      password: BENCH_PASSWORD,
      role: Role.AGENT,
    });
    const { token, sessionId } = await services.auth.signIn(email, BENCH_PASSWORD);
    return { staffId: staff.id, token, sessionId };
  };
  const newInbox = (name: string) =>
    services.inboxes.create(adminAuth, { name, channels: Object.values(Channel) });
  let conversations = 0;
  const newTicket = async (inboxId: string) => {
    conversations += 1;
    const customer = await services.customers.create(adminAuth, {
      name: `Customer ${conversations}`,
      email: `customer-${conversations}@example.com`,
    });
    const conversation = await services.conversations.start(adminAuth, {
      customerId: customer.id,
      channel: Channel.CHAT,
      inboxId,
      body: 'Hello, my order has not arrived yet.',
    });
    return conversation.id;
  };

  const watchers: SignedIn[] = [];
  for (let n = 1; n <= shape.watcherStaff; n++) watchers.push(await newAgent(`Watcher ${n}`));

  const fanoutInbox = async (label: string) => {
    const inbox = await newInbox(`Fan-out (${label})`);
    const driver = await newAgent(`Driver (${label})`);
    await services.inboxes.setMembers(adminAuth, inbox.id, [
      admin.id,
      driver.staffId,
      ...watchers.map((watcher) => watcher.staffId),
    ]);
    return { inboxId: inbox.id, driver: { ...driver, ticketId: await newTicket(inbox.id) } };
  };
  const fanout = {
    inProcess: await fanoutInbox('in-process'),
    redis: await fanoutInbox('Redis'),
    // BENCH_BEFORE_TREE: an earlier commit's server, in-process PubSub, on the same database.
    before: await fanoutInbox('before'),
  };

  const opsInbox = await newInbox('Lock operations');
  const opsAgents: SignedIn[] = [];
  for (let n = 1; n <= shape.opsWorkers; n++) opsAgents.push(await newAgent(`Operator ${n}`));
  await services.inboxes.setMembers(
    adminAuth,
    opsInbox.id,
    opsAgents.map((agent) => agent.staffId),
  );
  const workers: Worker[] = [];
  for (const agent of opsAgents) {
    workers.push({
      ...agent,
      ticketId: await newTicket(opsInbox.id),
      socketTicketId: await newTicket(opsInbox.id),
    });
  }

  const consoleInboxes: string[] = [];
  for (let n = 1; n <= shape.consoleInboxes; n++) {
    const inbox = await newInbox(`Console ${n}`);
    await services.inboxes.setMembers(
      adminAuth,
      inbox.id,
      watchers.map((watcher) => watcher.staffId),
    );
    consoleInboxes.push(inbox.id);
  }

  return {
    organizationId: organization.id,
    watcherTokens: watchers.map((watcher) => watcher.token),
    fanout,
    ops: { inboxId: opsInbox.id, workers },
    consoleInboxes,
    counts: {
      staff: staffCount,
      inboxes: 5 + shape.consoleInboxes, // General, three fan-out inboxes, operations
      conversations,
    },
  };
}
