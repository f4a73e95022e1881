import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { Channel } from '../../src/entities/enums';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { Streams } from '../../src/subscriptions/topics';

export interface StormSeed {
  organizationId: string;
  inboxId: string;
  ticketId: string;
  token: string;
  signInSessionId: string;
  locksStream: string;
}

/** An organization, its inbox, a ticket to lock over and over, and the ADMIN's sign-in. */
export async function seedStorm(
  databaseUrl: string,
  redisUrl: string,
  secretsKey: Buffer,
): Promise<StormSeed> {
  const server = await startServer({
    config: {
      ...loadConfig({}),
      port: 0,
      host: '127.0.0.1',
      logLevel: 'error',
      redisUrl,
      secretsKey,
    },
    databaseUrl,
    logger: createLogger('error'),
  });
  try {
    const email = `storm-${Date.now()}@example.com`;
    const password = 'storm benchmark password';
    const { organization, inbox } = await server.services.organizations.create({
      name: 'Storm',
      adminEmail: email,
      adminPassword: password,
    });
    const { token, sessionId } = await server.services.auth.signIn(email, password);
    const auth = await server.services.auth.authenticate(token);
    if (!auth) throw new Error('could not authenticate the fresh token');
    const customer = await server.services.customers.create(auth, { name: 'Storm customer' });
    const ticket = await server.services.conversations.start(auth, {
      customerId: customer.id,
      channel: Channel.CHAT,
      inboxId: inbox.id,
    });
    return {
      organizationId: organization.id,
      inboxId: inbox.id,
      ticketId: ticket.id,
      token,
      signInSessionId: sessionId,
      locksStream: Streams.inboxLocks(organization.id, inbox.id),
    };
  } finally {
    await server.stop();
  }
}
