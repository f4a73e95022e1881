import { randomBytes } from 'node:crypto';
import {
  CreateApiKeyDocument,
  CreateStaffDocument,
  CustomersDocument,
  OpenTicketDocument,
  SendMessageDocument,
  SignInDocument,
} from '../generated/graphql';
import type { TandemServer } from '../../src/server';
import { GraphQLClient } from './client';
import { lockWatchersLive, openWindow, watchLocks } from './windows';
import { newAgent, newConversation, newOrg, PASSWORD } from './factories';
import { Subscription } from './ws';

export interface WorkloadResult {
  organizationId: string;
  inboxId: string;
  /** Every secret and body the workload sent or received: none may be written in a log. */
  secrets: string[];
  /** The X-Request-Id the workload gave its first request. */
  requestId: string;
}

const unique = () => randomBytes(6).toString('hex');

/**
 * What an operator's dashboards and logs see of a working console, scripted: sign-ins (one
 * refused), a staff member created with a password, an API key made, pages read, a window that
 * watches its inbox's locks, opens a ticket and sends a message, a query over its socket, and a
 * request with a token that is no one's.
 */
export async function runOperatorWorkload(server: TandemServer): Promise<WorkloadResult> {
  const org = await newOrg(server);
  const anonymous = new GraphQLClient(server.url);
  const requestId = `workload-${unique()}`;
  const signedIn = await anonymous.request(
    SignInDocument,
    { input: { email: org.admin.staff.email, password: PASSWORD } },
    { 'x-request-id': requestId },
  );
  const token = signedIn.data?.signIn.token as string;
  const wrongPassword = `wrong password ${unique()}`;
  await anonymous.request(SignInDocument, {
    input: { email: org.admin.staff.email, password: wrongPassword },
  });
  const staffPassword = `staff password ${unique()}`;
  await org.admin.api.ok(CreateStaffDocument, {
    input: {
      name: `Agent ${unique()}`,
      email: `agent-${unique()}@example.com`,
      password: staffPassword,
      role: 'AGENT',
    },
  });
  const { key } = (await org.admin.api.ok(CreateApiKeyDocument, { input: { name: 'crm' } }))
    .createApiKey;
  for (let i = 0; i < 3; i += 1) await org.admin.api.ok(CustomersDocument, { first: 5 });
  const stranger = `tdm_${randomBytes(32).toString('base64url')}`;
  await new GraphQLClient(server.url, stranger).request(CustomersDocument, { first: 1 });

  const agent = await newAgent(org);
  const window = await openWindow(server, agent);
  const body = `message body ${unique()}`;
  try {
    const watch = await watchLocks(window, org.inbox.id);
    await lockWatchersLive(server, org.id, org.inbox.id);
    const conversation = await newConversation(org);
    const opened = (
      await window.api.ok(OpenTicketDocument, { input: { conversationId: conversation.id } })
    ).openTicket;
    await watch.next();
    await window.api.ok(SendMessageDocument, {
      input: {
        conversationId: conversation.id,
        body,
        lockToken: opened.__typename === 'TicketLockAcquired' ? opened.lock.token : undefined,
      },
    });
    const overSocket = new Subscription<unknown>(window.socket.client, '{ me { id } }');
    await overSocket.next();
    watch.subscription.close();
  } finally {
    await window.socket.dispose();
  }
  return {
    organizationId: org.id,
    inboxId: org.inbox.id,
    requestId,
    secrets: [
      PASSWORD,
      wrongPassword,
      staffPassword,
      token,
      key,
      stranger,
      org.admin.token,
      agent.token,
      body,
    ],
  };
}
