import { Arg, Args, Authorized, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { authOf, CurrentAuth } from '../../schema/decorators';
import type { Services } from '../../services';
import { QueueService } from '../../services/campaign/queue.service';
import type { QueueEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import {
  AbandonInteractionInput,
  AbandonInteractionPayload,
  CampaignQueueArgs,
  QueuedInteraction,
  QueueEvent,
  QueueEventsArgs,
  TakeInteractionInput,
  TakeInteractionPayload,
  toQueuedInteraction,
  toQueueEvent,
} from './queue.types';

@Resolver()
export class QueueResolver {
  constructor(private readonly queue: QueueService) {}

  @Authorized(Permission.ReadCampaigns)
  @Query(() => [QueuedInteraction], {
    description: "The campaign's waiting interactions, oldest first.",
  })
  async campaignQueue(
    @CurrentAuth() auth: Auth,
    @Args() { campaignId }: CampaignQueueArgs,
  ): Promise<QueuedInteraction[]> {
    return (await this.queue.waiting(auth, campaignId)).map(toQueuedInteraction);
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => TakeInteractionPayload, {
    description:
      'A member takes the oldest waiting interaction of a campaign, or a chosen one. CONFLICT ' +
      '(with takenBy) if another took it first, CAPACITY_REACHED at the maximum, FORBIDDEN for ' +
      'a non-member or a paused agent.',
  })
  async takeInteraction(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: TakeInteractionInput,
  ): Promise<TakeInteractionPayload> {
    return { conversation: await this.queue.take(auth, input) };
  }

  @Authorized(Permission.AbandonInteractions)
  @Mutation(() => AbandonInteractionPayload, {
    description: 'INTEGRATION keys: the customer left a waiting interaction (ABANDONED).',
  })
  async abandonInteraction(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: AbandonInteractionInput,
  ): Promise<AbandonInteractionPayload> {
    return { conversation: await this.queue.abandon(auth, input.conversationId) };
  }

  @Authorized(Permission.ReadCampaigns)
  @Subscription(() => QueueEvent, {
    description:
      "C5: the queues of these campaigns: per campaign first a SNAPSHOT (its waiting interactions, oldest first) or, with a cursor, what was missed since it; then ARRIVED, TAKEN, ABANDONED and REQUEUED, each with the campaign's seq. Ends with FORBIDDEN when the caller may no longer see one of the campaigns.",
    subscribe: ({ args, context }) => {
      const { campaignIds, after } = args as QueueEventsArgs;
      return (context as Context<Services>).services.queueEvents.subscribe(
        authOf(context),
        campaignIds,
        after ?? [],
      );
    },
  })
  queueEvents(
    @Root() envelope: EventEnvelope<QueueEventPayload>,
    @Args({ validate: false }) _args: QueueEventsArgs,
  ): QueueEvent {
    return toQueueEvent(envelope);
  }
}
