import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import type { Services } from '../../services';
import { authOf, CurrentAuth } from '../../schema/decorators';
import { LockService } from '../../services/lock/lock.service';
import type { TicketLockEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { EnterInboxInput, InboxArgs, TicketInput } from './lock.inputs';
import {
  EnterInboxPayload,
  ForceReleaseTicketPayload,
  LeaveInboxPayload,
  OpenTicketResult,
  ReleaseTicketPayload,
  TicketLock,
  TicketLockAcquired,
  TicketLockedByOther,
  TicketLockEvent,
  toTicketLock,
  toTicketLockEvent,
} from './lock.types';

@Resolver()
export class LockResolver {
  constructor(private readonly locks: LockService) {}

  @Authorized(Permission.WorkConversations)
  @Mutation(() => OpenTicketResult, {
    description:
      'Locks the ticket for this window (releasing the one it held), or says who holds it.',
  })
  async openTicket(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: TicketInput,
  ): Promise<TicketLockAcquired | TicketLockedByOther> {
    const result = await this.locks.open(auth, input.conversationId);
    const payload = result.acquired ? new TicketLockAcquired() : new TicketLockedByOther();
    payload.lock = toTicketLock(result.lock);
    return payload;
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => ReleaseTicketPayload, {
    description: "LOCKED when someone else's window holds it.",
  })
  async releaseTicket(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: TicketInput,
  ): Promise<ReleaseTicketPayload> {
    const lock = await this.locks.release(auth, input.conversationId);
    return { released: lock !== null, lock: lock ? toTicketLock(lock) : null };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => ForceReleaseTicketPayload, {
    description:
      'Takes the ticket from whoever holds it; their window is told who did it (FORCED_RELEASE).',
  })
  async forceReleaseTicket(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: TicketInput,
  ): Promise<ForceReleaseTicketPayload> {
    const lock = await this.locks.forceRelease(auth, input.conversationId);
    return { lock: lock ? toTicketLock(lock) : null };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => EnterInboxPayload, {
    description: 'This window works in this inbox; a lock held elsewhere is released.',
  })
  async enterInbox(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: EnterInboxInput,
    @Ctx() { loaders }: Context,
  ): Promise<EnterInboxPayload> {
    await this.locks.enterInbox(auth, input.inboxId);
    return {
      sessionId: auth.clientSessionId as string,
      inbox: (await loaders.inbox.load(input.inboxId))!,
    };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => LeaveInboxPayload, {
    description: 'This window leaves its inbox; its lock is released.',
  })
  async leaveInbox(@CurrentAuth() auth: Auth): Promise<LeaveInboxPayload> {
    await this.locks.leaveInbox(auth);
    return { sessionId: auth.clientSessionId as string };
  }

  @Authorized(Permission.ReadConversations)
  @Query(() => [TicketLock], { description: 'Every current lock of the inbox.' })
  async ticketLocks(
    @CurrentAuth() auth: Auth,
    @Args() { inboxId }: InboxArgs,
  ): Promise<TicketLock[]> {
    return (await this.locks.locks(auth, inboxId)).map(toTicketLock);
  }

  @Authorized(Permission.ReadConversations)
  @Subscription(() => TicketLockEvent, {
    description:
      'First a SNAPSHOT of every lock of the inbox, then each change, with its per-inbox seq.',
    subscribe: ({ args, context }) =>
      (context as Context<Services>).services.locks.subscribe(
        authOf(context),
        (args as InboxArgs).inboxId,
      ),
  })
  ticketLockEvents(
    @Root() envelope: EventEnvelope<TicketLockEventPayload>,
    @Args({ validate: false }) _args: InboxArgs,
  ): TicketLockEvent {
    return toTicketLockEvent(envelope);
  }
}
