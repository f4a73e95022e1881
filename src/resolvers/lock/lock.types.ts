import { createUnionType, Field, ID, Int, ObjectType } from 'type-graphql';
import { Inbox } from '../../entities/inbox.entity';
import { Staff } from '../../entities/staff.entity';
import {
  type TicketLockEventPayload,
  TicketLockEventKind,
  type TicketLockSnapshot,
} from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { fromSnapshot } from '../../subscriptions/snapshot';
import { Actor } from '../common/actor.type';

@ObjectType({
  description: 'A co-working lock: which window of which staff member works on a ticket.',
})
export class TicketLock {
  @Field(() => ID)
  conversationId: string;

  @Field(() => ID)
  inboxId: string;

  @Field(() => Staff)
  holder: Staff;

  @Field(() => ID, {
    description: 'The holding window (client session). Locks belong to windows, not people.',
  })
  sessionId: string;

  @Field(() => Int, {
    description:
      'Fencing token: grows with every acquisition of this ticket. Pass it as `lockToken` on writes.',
  })
  token: number;

  @Field()
  acquiredAt: Date;
}

export function toTicketLock(snapshot: TicketLockSnapshot): TicketLock {
  const lock = new TicketLock();
  lock.conversationId = snapshot.conversationId;
  lock.inboxId = snapshot.inboxId;
  lock.holder = fromSnapshot(Staff, snapshot.holder ?? ({} as never));
  lock.sessionId = snapshot.sessionId as string;
  lock.token = Number(snapshot.token);
  lock.acquiredAt = new Date(snapshot.acquiredAt as string);
  return lock;
}

@ObjectType({ description: 'The ticket is yours (this window holds it).' })
export class TicketLockAcquired {
  @Field(() => TicketLock)
  lock: TicketLock;
}

@ObjectType({ description: 'Someone else works on the ticket: `lock.holder` says who.' })
export class TicketLockedByOther {
  @Field(() => TicketLock)
  lock: TicketLock;
}

export const OpenTicketResult = createUnionType({
  name: 'OpenTicketResult',
  types: () => [TicketLockAcquired, TicketLockedByOther] as const,
});

@ObjectType()
export class ReleaseTicketPayload {
  @Field({
    description:
      'False when the ticket was not held, or stays held because another window of the same person has it open (L8).',
  })
  released: boolean;

  @Field(() => TicketLock, { nullable: true, description: 'The lock that was released.' })
  lock: TicketLock | null;
}

@ObjectType()
export class ForceReleaseTicketPayload {
  @Field(() => TicketLock, {
    nullable: true,
    description:
      "Now the caller's: whoever forces a release holds the ticket (null for an API key).",
  })
  lock: TicketLock | null;
}

@ObjectType()
export class EnterInboxPayload {
  @Field(() => ID, { description: 'The window that entered.' })
  sessionId: string;

  @Field(() => Inbox)
  inbox: Inbox;
}

@ObjectType()
export class LeaveInboxPayload {
  @Field(() => ID)
  sessionId: string;
}

@ObjectType({ description: 'A change to the co-working locks of an inbox.' })
export class TicketLockEvent {
  @Field(() => Int, {
    description:
      'Per-inbox sequence, the same on every server instance. A gap means an event was missed: subscribe again.',
  })
  seq: number;

  @Field(() => TicketLockEventKind)
  kind: TicketLockEventKind;

  @Field()
  at: Date;

  @Field(() => ID, { nullable: true })
  conversationId: string | null;

  @Field(() => [TicketLock], {
    nullable: true,
    description: 'SNAPSHOT: every current lock of the inbox.',
  })
  locks: TicketLock[] | null;

  @Field(() => TicketLock, {
    nullable: true,
    description: 'LOCKED: the new lock. RELEASED, FORCED_RELEASE, MOVED: the lock that went.',
  })
  lock: TicketLock | null;

  @Field(() => Actor, { nullable: true, description: 'Who caused it (none for SNAPSHOT).' })
  actor: Actor | null;

  @Field(() => String, {
    nullable: true,
    description: 'What happened, for MOVED (and why, for some releases).',
  })
  note: string | null;
}

export function toTicketLockEvent(
  envelope: EventEnvelope<TicketLockEventPayload>,
): TicketLockEvent {
  const { kind, conversationId, lock, locks, actor, note } = envelope.payload;
  return {
    seq: envelope.seq,
    kind,
    at: new Date(envelope.at),
    conversationId: conversationId ?? null,
    locks: locks ? locks.map(toTicketLock) : null,
    lock: lock ? toTicketLock(lock) : null,
    actor: actor ?? null,
    note: note ?? null,
  };
}
