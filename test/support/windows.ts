import { TicketLockEventsDocument, type TicketLockEventsSubscription } from '../generated/graphql';
import type { TandemServer } from '../../src/server';
import { Streams } from '../../src/subscriptions/topics';
import type { GraphQLClient } from './client';
import { eventually, type Member } from './factories';
import { connect, type Console, subscribe, type Subscription } from './ws';

export type LockEvent = TicketLockEventsSubscription['ticketLockEvents'];

/** A console window: its WebSocket (its own client session) and HTTP calls made as that window. */
export interface Window {
  member: Member;
  socket: Console;
  sessionId: string;
  api: GraphQLClient;
}

export async function openWindow(server: TandemServer, member: Member): Promise<Window> {
  const socket = await connect(server.wsUrl, member.token);
  return {
    member,
    socket,
    sessionId: socket.sessionId,
    api: member.api.asWindow(socket.sessionId),
  };
}

/** A live `ticketLockEvents` subscription, past its SNAPSHOT. */
export interface LockWatch {
  subscription: Subscription<TicketLockEventsSubscription>;
  snapshot: LockEvent;
  next(timeoutMs?: number): Promise<LockEvent>;
}

export async function watchLocks(window: Window, inboxId: string): Promise<LockWatch> {
  const subscription = subscribe(window.socket, TicketLockEventsDocument, { inboxId });
  const snapshot = (await subscription.nextData()).ticketLockEvents;
  if (snapshot.kind !== 'SNAPSHOT')
    throw new Error(`expected a SNAPSHOT first, got ${snapshot.kind}`);
  return {
    subscription,
    snapshot,
    next: async (timeoutMs) => (await subscription.nextData(timeoutMs)).ticketLockEvents,
  };
}

/** Waits until `count` subscribers of the inbox's lock stream are live on `server`. */
export function lockWatchersLive(
  server: TandemServer,
  organizationId: string,
  inboxId: string,
  count = 1,
): Promise<void> {
  const stream = Streams.inboxLocks(organizationId, inboxId);
  return eventually(() => server.hub.liveSubscribers(stream) >= count, 5000, 'live lock watchers');
}
