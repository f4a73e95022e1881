import {
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { Inbox } from '../../entities/inbox.entity';
import { Staff } from '../../entities/staff.entity';
import { authOf, CurrentAuth } from '../../schema/decorators';
import type { Services } from '../../services';
import { AgentActivityService } from '../../services/supervision/agent-activity.service';
import { AgentActivity, AgentArgs, AgentInfo, AgentWindow } from './agent-activity.types';

@Resolver(() => AgentActivity)
export class AgentActivityResolver {
  constructor(private readonly activity: AgentActivityService) {}

  @Authorized(Permission.SuperviseAgents)
  @Query(() => AgentInfo, {
    description: 'C11: status, pause, campaigns, signed in since, active interactions.',
  })
  async agentInfo(@CurrentAuth() auth: Auth, @Args() { agentId }: AgentArgs): Promise<AgentInfo> {
    const info = await this.activity.info(auth, agentId);
    return { ...info, activeInteractionCount: info.activeInteractions.length };
  }

  @Authorized(Permission.SuperviseAgents)
  @Query(() => AgentActivity, {
    description:
      "The agent's open windows, the conversation each has open, and when each was last seen.",
  })
  agentActivity(@CurrentAuth() auth: Auth, @Args() { agentId }: AgentArgs): Promise<AgentActivity> {
    return this.activity.activity(auth, agentId);
  }

  @Authorized(Permission.SuperviseAgents)
  @Subscription(() => AgentActivity, {
    description:
      'agentActivity now, then each time a window opens or closes, enters an inbox or opens a conversation (checked every second). Ends with FORBIDDEN when the caller may no longer watch.',
    subscribe: ({ args, context }) =>
      (context as Context<Services>).services.agentActivity.subscribe(
        authOf(context),
        (args as AgentArgs).agentId,
      ),
  })
  agentActivityUpdates(
    @Root() activity: AgentActivity,
    @Args({ validate: false }) _args: AgentArgs,
  ): AgentActivity {
    return activity;
  }

  @FieldResolver(() => Staff)
  async agent(@Root() activity: AgentActivity, @Ctx() { loaders }: Context): Promise<Staff> {
    return (await loaders.staff.load(activity.agentId)) as Staff;
  }
}

@Resolver(() => AgentWindow)
export class AgentWindowResolver {
  @FieldResolver(() => Inbox, { nullable: true })
  inbox(@Root() window: AgentWindow, @Ctx() { loaders }: Context): Promise<Inbox | null> | null {
    return window.inboxId ? loaders.inbox.load(window.inboxId) : null;
  }
}
