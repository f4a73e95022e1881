import { Args, Authorized, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { authOf, CurrentAuth } from '../../schema/decorators';
import type { Services } from '../../services';
import { CampaignMonitorService } from '../../services/supervision/campaign-monitor.service';
import { CampaignMonitor, CampaignMonitorArgs } from './campaign-monitor.types';

@Resolver(() => CampaignMonitor)
export class CampaignMonitorResolver {
  constructor(private readonly monitor: CampaignMonitorService) {}

  @Authorized(Permission.SuperviseAgents)
  @Query(() => CampaignMonitor, {
    description:
      "C9: each member's status and active interactions, the queue, and today's figures (service level, average wait and handle time).",
  })
  campaignMonitor(
    @CurrentAuth() auth: Auth,
    @Args() { campaignId }: CampaignMonitorArgs,
  ): Promise<CampaignMonitor> {
    return this.monitor.monitor(auth, campaignId);
  }

  @Authorized(Permission.SuperviseAgents)
  @Subscription(() => CampaignMonitor, {
    description:
      'C9: campaignMonitor now, then a fresh figure set on each change (arrival, take, abandon, requeue, end, a member paused, resumed or changing status, the members or settings), at most once a second. Ends with FORBIDDEN when the caller may no longer monitor.',
    subscribe: ({ args, context }) =>
      (context as Context<Services>).services.campaignMonitor.subscribe(
        authOf(context),
        (args as CampaignMonitorArgs).campaignId,
      ),
  })
  campaignMonitorUpdates(
    @Root() figures: CampaignMonitor,
    @Args({ validate: false }) _args: CampaignMonitorArgs,
  ): CampaignMonitor {
    return figures;
  }
}
