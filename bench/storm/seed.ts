import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { Channel, Role } from '../../src/entities/enums';
import { hashSecret, newSecret, TOKEN_PREFIX } from '../../src/services/auth/secrets';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { Streams } from '../../src/subscriptions/topics';

export interface StormSeed {
  organizationId: string;
  inboxId: string;
  ticketId: string;
  /** The ADMIN's token (the lock operations). */
  token: string;
  /** One sign-in per agent of the inbox: console i uses agentTokens[i % length]. */
  agentTokens: string[];
  signInSessionId: string;
  locksStream: string;
}

/**
 * An organization, its inbox, a ticket to lock over and over, the ADMIN's sign-in, and `agents`
 * AGENTs of the inbox each signed in once, as a contact center's consoles are: every console
 * authenticates its own token, opens its own window and passes its own access checks. (The
 * agents are written in one statement, with the ADMIN's password hash, and their sign-ins with
 * tokens made here: signing 10,000 people in through argon2 would take minutes.)
 */
export async function seedStorm(
  databaseUrl: string,
  redisUrl: string,
  secretsKey: Buffer,
  agents: number,
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
    const agentTokens = Array.from({ length: agents }, () => newSecret(TOKEN_PREFIX));
    await server.dataSource.query(
      `WITH made AS (
         INSERT INTO staff (organization_id, name, email, password_hash, role)
         SELECT $1, 'Storm agent ' || n, 'storm-agent-' || n || '@example.com', admin.password_hash, $4
           FROM generate_series(1, cardinality($3::text[])) n, (SELECT password_hash FROM staff WHERE id = $2) admin
         RETURNING id, email),
       numbered AS (
         SELECT id, substring(email from 'storm-agent-(\\d+)@')::int AS n FROM made),
       members AS (
         INSERT INTO inbox_member (inbox_id, staff_id, organization_id)
         SELECT $5, id, $1 FROM numbered)
       INSERT INTO client_session (organization_id, staff_id, kind, token_hash, expires_at)
       SELECT $1, numbered.id, 'SIGN_IN', ($3::text[])[numbered.n], now() + interval '12 hours'
         FROM numbered`,
      [
        organization.id,
        auth.staffId,
        agentTokens.map((agentToken) => hashSecret(agentToken)),
        Role.AGENT,
        inbox.id,
      ],
    );
    return {
      organizationId: organization.id,
      inboxId: inbox.id,
      ticketId: ticket.id,
      token,
      agentTokens,
      signInSessionId: sessionId,
      locksStream: Streams.inboxLocks(organization.id, inbox.id),
    };
  } finally {
    await server.stop();
  }
}
