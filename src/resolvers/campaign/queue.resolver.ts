import { Arg, Args, Authorized, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import { CurrentAuth } from '../../schema/decorators';
import { QueueService } from '../../services/campaign/queue.service';
import {
  AbandonInteractionInput,
  AbandonInteractionPayload,
  CampaignQueueArgs,
  QueuedInteraction,
  TakeInteractionInput,
  TakeInteractionPayload,
  toQueuedInteraction,
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
}
