import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Mutation,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import type { Services } from '../../services';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { DedicatedHero } from '../../entities/dedicated-hero.entity';
import { Inbox } from '../../entities/inbox.entity';
import { RoutingDecision } from '../../entities/routing-decision.entity';
import { Staff } from '../../entities/staff.entity';
import { authOf, CurrentAuth } from '../../schema/decorators';
import { HeroService } from '../../services/routing/hero.service';
import { RoutingService } from '../../services/routing/routing.service';
import type { AssignmentEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Actor } from '../common/actor.type';
import { ConversationInput, ConversationPayload } from '../conversation/conversation.inputs';
import {
  AssignmentEvent,
  ClearDedicatedHeroInput,
  DedicatedHeroPayload,
  MyAssignmentsArgs,
  SetDedicatedHeroInput,
  toAssignmentEvent,
} from './routing.types';

@Resolver()
export class RoutingResolver {
  constructor(
    private readonly heroes: HeroService,
    private readonly routing: RoutingService,
  ) {}

  @Authorized(Permission.WorkConversations)
  @Mutation(() => DedicatedHeroPayload, {
    description:
      "Future conversations go to the hero; open ones keep their assignee, except the previous hero's, which move now.",
  })
  async setDedicatedHero(
    @CurrentAuth() auth: Auth,
    @Arg('input') { customerId, ...target }: SetDedicatedHeroInput,
    @Ctx() { loaders }: Context,
  ): Promise<DedicatedHeroPayload> {
    const hero = await this.heroes.set(auth, customerId, target);
    return { customer: (await loaders.customer.load(customerId))!, dedicatedHero: hero };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => DedicatedHeroPayload, { description: 'NOT_FOUND when the customer has no hero.' })
  async clearDedicatedHero(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: ClearDedicatedHeroInput,
    @Ctx() { loaders }: Context,
  ): Promise<DedicatedHeroPayload> {
    await this.heroes.clear(auth, input.customerId);
    return { customer: (await loaders.customer.load(input.customerId))!, dedicatedHero: null };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => ConversationPayload, {
    description: "The customer's hero takes this open conversation now.",
  })
  async reassignToHero(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: ConversationInput,
  ): Promise<ConversationPayload> {
    return { conversation: await this.routing.reassignToHero(auth, input.conversationId) };
  }

  @Authorized(Permission.WorkConversations)
  @Subscription(() => AssignmentEvent, {
    description: 'Conversations given to you or taken from you. Resume with `after`.',
    subscribe: ({ args, context }) => {
      const auth = authOf(context);
      return (context as Context<Services>).services.routing.subscribeAssignments(
        auth,
        (args as MyAssignmentsArgs).after ?? undefined,
      );
    },
  })
  myAssignments(
    @Root() envelope: EventEnvelope<AssignmentEventPayload>,
    @Args({ validate: false }) _args: MyAssignmentsArgs,
  ): AssignmentEvent {
    return toAssignmentEvent(envelope);
  }
}

@Resolver(() => Customer)
export class CustomerHeroResolver {
  @FieldResolver(() => DedicatedHero, { nullable: true })
  dedicatedHero(
    @Root() customer: Customer,
    @Ctx() { loaders }: Context,
  ): Promise<DedicatedHero | null> {
    return loaders.heroOfCustomer.load(customer.id);
  }
}

@Resolver(() => DedicatedHero)
export class DedicatedHeroResolver {
  @FieldResolver(() => Staff, { nullable: true, description: 'The hero agent.' })
  agent(@Root() hero: DedicatedHero, @Ctx() { loaders }: Context): Promise<Staff | null> | null {
    return hero.agentId ? loaders.staff.load(hero.agentId) : null;
  }

  @FieldResolver(() => Inbox, { nullable: true, description: 'The hero inbox (a team).' })
  inbox(@Root() hero: DedicatedHero, @Ctx() { loaders }: Context): Promise<Inbox | null> | null {
    return hero.inboxId ? loaders.inbox.load(hero.inboxId) : null;
  }

  @FieldResolver(() => Actor)
  setBy(@Root() hero: DedicatedHero): Actor {
    return { kind: hero.setByKind, id: hero.setById, name: hero.setByName };
  }
}

@Resolver(() => Conversation)
export class ConversationRoutingResolver {
  @FieldResolver(() => [RoutingDecision], {
    description: 'Every routing decision, oldest first (R10).',
  })
  routingHistory(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<RoutingDecision[]> {
    return loaders.routingHistoryOfConversation.load(conversation.id);
  }
}

@Resolver(() => RoutingDecision)
export class RoutingDecisionResolver {
  @FieldResolver(() => Staff, {
    nullable: true,
    description: 'Who got it; none when it was queued.',
  })
  assignee(
    @Root() decision: RoutingDecision,
    @Ctx() { loaders }: Context,
  ): Promise<Staff | null> | null {
    return decision.assigneeId ? loaders.staff.load(decision.assigneeId) : null;
  }

  @FieldResolver(() => Inbox)
  async inbox(
    @Root() decision: RoutingDecision,
    @Ctx() { loaders }: Context,
  ): Promise<Inbox | null> {
    return loaders.inbox.load(decision.inboxId);
  }

  @FieldResolver(() => Actor, { description: 'Who decided: a person, or Tandem by its rules.' })
  decidedBy(@Root() decision: RoutingDecision): Actor {
    return { kind: decision.decidedByKind, id: decision.decidedById, name: decision.decidedByName };
  }
}
