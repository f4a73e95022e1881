import {
  Arg,
  Authorized,
  Ctx,
  Extensions,
  FieldResolver,
  Float,
  Mutation,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { Permission, can } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { AssistSession } from '../../entities/assist-session.entity';
import { Customer } from '../../entities/customer.entity';
import { Staff } from '../../entities/staff.entity';
import { authOf, CurrentAuth } from '../../schema/decorators';
import type { Services } from '../../services';
import { AssistService, secondsSpent } from '../../services/assist/assist.service';
import type { AssistChangePayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Actor } from '../common/actor.type';
import {
  ActiveAssistEvent,
  AssistSessionPayload,
  EndAssistingInput,
  StartAssistingInput,
  toActiveAssistEvent,
} from './assist.inputs';

@Resolver()
export class AssistResolver {
  constructor(private readonly assist: AssistService) {}

  @Authorized(Permission.AssistCustomers)
  @Mutation(() => AssistSessionPayload, {
    description:
      'Starts assisting a customer (or a caller who is not one yet). You assist one customer at a ' +
      'time, whichever window starts it: a second start is CONFLICT naming the current session. ' +
      'Several staff may assist one customer. It ends by itself after ASSIST_MAX_MINUTES.',
  })
  async startAssisting(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: StartAssistingInput,
  ): Promise<AssistSessionPayload> {
    return { session: await this.assist.start(auth, input) };
  }

  @Authorized(Permission.AssistCustomers)
  @Mutation(() => AssistSessionPayload, {
    description:
      'Ends your assist session: its time spent is kept on your timesheet. NOT_FOUND when none.',
  })
  async endAssisting(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: EndAssistingInput,
  ): Promise<AssistSessionPayload> {
    return { session: await this.assist.end(auth, input.outcome, input.notes) };
  }

  @Authorized(Permission.AssistCustomers)
  @Subscription(() => ActiveAssistEvent, {
    description:
      'Your assist session, for the banner: a SNAPSHOT (seq, and the open session or null), then ' +
      'STARTED, ENDED and CUSTOMER_BOUND, on every window of yours. Nobody else hears of it.',
    subscribe: ({ context }) =>
      (context as Context<Services>).services.assist.subscribeChanges(authOf(context)),
  })
  activeAssistChanges(@Root() envelope: EventEnvelope<AssistChangePayload>): ActiveAssistEvent {
    return toActiveAssistEvent(envelope);
  }
}

@Resolver(() => AssistSession)
export class AssistSessionResolver {
  @FieldResolver(() => Staff, {
    description: 'Who assists: the interaction is on their timesheet.',
  })
  async staff(@Root() session: AssistSession, @Ctx() { loaders }: Context): Promise<Staff | null> {
    return loaders.staff.load(session.staffId);
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'Null until registerCustomer.' })
  customer(
    @Root() session: AssistSession,
    @Ctx() { loaders }: Context,
  ): Promise<Customer | null> | null {
    return session.customerId ? loaders.customer.load(session.customerId) : null;
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Time spent, once ended.' })
  secondsSpent(@Root() session: AssistSession): number | null {
    return secondsSpent(session);
  }

  @FieldResolver(() => Actor, {
    nullable: true,
    description: 'Who ended it: the agent, the one who deactivated them, or Tandem.',
  })
  endedBy(@Root() session: AssistSession): Actor | null {
    return session.endedByKind
      ? { kind: session.endedByKind, id: session.endedById, name: session.endedByName ?? '' }
      : null;
  }
}

@Resolver(() => Staff)
export class StaffAssistResolver {
  @Extensions({ viewerDependent: true })
  @FieldResolver(() => AssistSession, {
    nullable: true,
    description:
      'The assist session open now (the banner: customer, channel, service, started at). Seen by ' +
      'the staff member themselves, and by supervisors and admins; null for anyone else.',
  })
  activeAssist(
    @Root() staff: Staff,
    @Ctx() { loaders, auth }: Context,
  ): Promise<AssistSession | null> | null {
    if (!auth || (auth.staffId !== staff.id && !can(auth, Permission.ReadAssistReports)))
      return null;
    return loaders.openAssistOfStaff.load(staff.id);
  }
}
