import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Extensions,
  FieldResolver,
  Info,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { embeddedRelation } from '../../context/embedded-relations';
import type { Services } from '../../services';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { HelperAssignment, HelperEndReason } from '../../entities/helper-assignment.entity';
import { Staff } from '../../entities/staff.entity';
import { ConnectionArgs, type ConnectionShape, toConnection } from '../../schema/connection';
import { authOf, CurrentAuth } from '../../schema/decorators';
import { nestedPageSelection } from '../../schema/nested-selection';
import { objectProperties } from '../../schema/selected-properties';
import { endAsReadNow, HelperService } from '../../services/helper/helper.service';
import type { HelperChangePayload, NotificationPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Actor } from '../common/actor.type';
import { CustomerConnection } from '../customer/customer.inputs';
import {
  AddHelperInput,
  EndHelperInput,
  HelperChangesArgs,
  NotificationsArgs,
} from './helper.inputs';
import {
  EndHelperPayload,
  HelperAssignmentConnection,
  HelperChangeEvent,
  HelperPayload,
  HelperTag,
  helperTagOf,
  NotificationEvent,
  toHelperChangeEvent,
  toNotificationEvent,
} from './helper.types';

@Resolver()
export class HelperResolver {
  constructor(private readonly helpers: HelperService) {}

  @Authorized(Permission.HelpCustomers)
  @Mutation(() => HelperPayload, {
    description: 'Agents add only themselves. Adding someone who already helps changes nothing.',
  })
  async addHelper(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: AddHelperInput,
  ): Promise<HelperPayload> {
    return this.helpers.add(auth, input.customerId, input.staffId, input.until);
  }

  @Authorized(Permission.HelpCustomers)
  @Mutation(() => EndHelperPayload, {
    description: 'Agents end only their own. NOT_FOUND when there is none.',
  })
  async endHelper(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: EndHelperInput,
  ): Promise<EndHelperPayload> {
    return { assignment: await this.helpers.end(auth, input.customerId, input.staffId) };
  }

  @Authorized(Permission.HelpCustomers)
  @Query(() => CustomerConnection, {
    description: 'The customers you help, most recent activity first.',
  })
  async myCustomers(
    @CurrentAuth() auth: Auth,
    @Args() { first, after }: ConnectionArgs,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ConnectionShape<Customer>> {
    // The columns the query reads, and the relations the page's statement builds as JSON.
    const selection = nestedPageSelection(info);
    const properties = selection?.properties;
    const embed = loaders.embedPage(Customer, selection);
    return toConnection(await this.helpers.myCustomers(auth, { first, after, properties, embed }));
  }

  @Authorized(Permission.ReadCustomers)
  @Subscription(() => HelperChangeEvent, {
    description: "A SNAPSHOT of the customer's helpers (or of whom you help), then each change.",
    subscribe: ({ args, context }) =>
      (context as Context<Services>).services.helpers.subscribeChanges(
        authOf(context),
        (args as HelperChangesArgs).customerId,
      ),
  })
  helperChanges(
    @Root() envelope: EventEnvelope<HelperChangePayload>,
    @Args({ validate: false }) _args: HelperChangesArgs,
  ): HelperChangeEvent {
    return toHelperChangeEvent(envelope);
  }

  @Authorized(Permission.HelpCustomers)
  @Subscription(() => NotificationEvent, {
    description: 'When a customer you help starts a conversation or writes. Resume with `after`.',
    subscribe: ({ args, context }) =>
      (context as Context<Services>).services.helpers.subscribeNotifications(
        authOf(context),
        (args as NotificationsArgs).after ?? undefined,
      ),
  })
  notifications(
    @Root() envelope: EventEnvelope<NotificationPayload>,
    @Args({ validate: false }) _args: NotificationsArgs,
  ): NotificationEvent {
    return toNotificationEvent(envelope);
  }
}

// `reads`: all these read of their assignment, so a list of helpers reads only those columns
// (src/schema/selected-properties.ts). Keep it true when editing.
@Resolver(() => HelperAssignment)
export class HelperAssignmentResolver {
  @Extensions({ reads: ['staffId'], embeds: 'staff' })
  @FieldResolver(() => Staff)
  staff(
    @Root() assignment: HelperAssignment,
    @Ctx() { loaders }: Context,
  ): Staff | Promise<Staff | null> | null {
    const embedded = embeddedRelation<Staff | null>(assignment, 'staff');
    return embedded !== undefined ? embedded : loaders.staff.load(assignment.staffId);
  }

  @Extensions({ reads: ['customerId'] })
  @FieldResolver(() => Customer)
  async customer(
    @Root() assignment: HelperAssignment,
    @Ctx() { loaders }: Context,
  ): Promise<Customer | null> {
    return loaders.customer.load(assignment.customerId);
  }

  @Extensions({ reads: ['assignedByKind', 'assignedById', 'assignedByName'] })
  @FieldResolver(() => Actor, { description: 'Who assigned it.' })
  assignedBy(@Root() a: HelperAssignment): Actor {
    return { kind: a.assignedByKind, id: a.assignedById, name: a.assignedByName };
  }

  // endAsReadNow reads these.
  @Extensions({
    reads: ['endedAt', 'until', 'endReason', 'endedByKind', 'endedById', 'endedByName'],
  })
  @FieldResolver(() => Actor, {
    nullable: true,
    description: 'Who ended it (Tandem itself when it expired).',
  })
  endedBy(@Root() assignment: HelperAssignment): Actor | null {
    const a = endAsReadNow(assignment);
    return a.endedByKind
      ? { kind: a.endedByKind, id: a.endedById, name: a.endedByName ?? '' }
      : null;
  }

  // The entity declares these fields; their values are read as of now (H3).
  @Extensions({
    reads: ['endedAt', 'until', 'endReason', 'endedByKind', 'endedById', 'endedByName'],
  })
  @FieldResolver(() => Date, { nullable: true })
  endedAt(@Root() assignment: HelperAssignment): Date | null {
    return endAsReadNow(assignment).endedAt;
  }

  @Extensions({
    reads: ['endedAt', 'until', 'endReason', 'endedByKind', 'endedById', 'endedByName'],
  })
  @FieldResolver(() => HelperEndReason, { nullable: true })
  endReason(@Root() assignment: HelperAssignment): HelperEndReason | null {
    return endAsReadNow(assignment).endReason;
  }
}

/** Helper fields of customers, conversations and staff. */
@Resolver(() => Customer)
export class CustomerHelpersResolver {
  // `reads`: all these read of their customer (src/schema/selected-properties.ts); `embeds`:
  // the relation a page of customers may bring with it, and what a count or a tag reads of it
  // (src/schema/nested-selection.ts).
  @Extensions({ reads: ['id'], embeds: 'helpers' })
  @FieldResolver(() => [HelperAssignment], { description: 'Who helps this customer now (H1).' })
  helpers(
    @Root() customer: Customer,
    @Ctx() { loaders }: Context,
  ): HelperAssignment[] | Promise<HelperAssignment[]> {
    return (
      embeddedRelation<HelperAssignment[]>(customer, 'helpers') ??
      loaders.helpersOfCustomer.load(customer.id)
    );
  }

  @Extensions({ reads: ['id'], embeds: { relation: 'helpers', reads: [] } })
  @FieldResolver(() => Int)
  helperCount(@Root() customer: Customer, @Ctx() { loaders }: Context): number | Promise<number> {
    const embedded = embeddedRelation<HelperAssignment[]>(customer, 'helpers');
    if (embedded) return embedded.length;
    return loaders.helpersOfCustomer.load(customer.id).then((helpers) => helpers.length);
  }

  @Extensions({
    viewerDependent: true,
    reads: ['id'],
    embeds: { relation: 'helpers', reads: ['staffId'] },
  })
  @FieldResolver(() => HelperTag, { description: 'NONE, ME or OTHERS: relative to you (H5).' })
  helperTag(
    @Root() customer: Customer,
    @Ctx() { loaders, auth }: Context,
  ): HelperTag | Promise<HelperTag> {
    const viewer = auth?.staffId ?? null;
    const embedded = embeddedRelation<HelperAssignment[]>(customer, 'helpers');
    if (embedded) return helperTagOf(embedded, viewer);
    return loaders.helpersOfCustomer.load(customer.id).then((all) => helperTagOf(all, viewer));
  }

  @Extensions({ reads: ['id'] })
  @FieldResolver(() => HelperAssignmentConnection, {
    description: 'Every assignment, ended ones too, newest first (H8).',
  })
  async helperHistory(
    @Root() customer: Customer,
    @Args() args: ConnectionArgs,
    @Ctx() { loaders }: Context,
  ): Promise<ConnectionShape<HelperAssignment>> {
    return toConnection(await loaders.helperHistoryOfCustomer(args).load(customer.id));
  }

  @Extensions({ viewerDependent: true, reads: ['id'], embeds: 'lastConversation' })
  @FieldResolver(() => Conversation, {
    nullable: true,
    description: 'The newest conversation you may see.',
  })
  lastConversation(
    @Root() customer: Customer,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Conversation | Promise<Conversation | null> | null {
    const embedded = embeddedRelation<Conversation | null>(customer, 'lastConversation');
    if (embedded !== undefined) return embedded;
    const read = objectProperties(info)?.properties;
    return loaders.lastConversationOfCustomer(read).load(customer.id);
  }
}

@Resolver(() => Conversation)
export class ConversationHelpersResolver {
  @FieldResolver(() => [HelperAssignment], {
    description: "The customer's helpers: they cover all its contacts (H1).",
  })
  helpers(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<HelperAssignment[]> {
    return loaders.helpersOfCustomer.load(conversation.customerId);
  }

  @Extensions({ viewerDependent: true })
  @FieldResolver(() => HelperTag, {
    description: "NONE, ME or OTHERS for the customer's helpers (H5).",
  })
  async helperTag(
    @Root() conversation: Conversation,
    @Ctx() { loaders, auth }: Context,
  ): Promise<HelperTag> {
    return helperTagOf(
      await loaders.helpersOfCustomer.load(conversation.customerId),
      auth?.staffId ?? null,
    );
  }
}

@Resolver(() => Staff)
export class StaffHelpingResolver {
  @FieldResolver(() => CustomerConnection, {
    description: 'The customers this staff member helps now (H7).',
  })
  async helping(
    @Root() staff: Staff,
    @Args() args: ConnectionArgs,
    @Ctx() { loaders }: Context,
  ): Promise<ConnectionShape<Customer>> {
    return toConnection(await loaders.customersHelpedBy(args).load(staff.id));
  }
}

@Resolver(() => NotificationEvent)
export class NotificationEventResolver {
  @FieldResolver(() => Customer)
  async customer(
    @Root() event: NotificationEvent,
    @Ctx() { loaders }: Context,
  ): Promise<Customer | null> {
    return loaders.customer.load(event.customerId);
  }
}
