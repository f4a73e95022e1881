import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { Inbox } from '../../entities/inbox.entity';
import { Staff } from '../../entities/staff.entity';
import { ConnectionArgs, type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { InboxService } from '../../services/inbox/inbox.service';
import { IdArgs } from '../common/id.args';
import {
  CreateInboxInput,
  InboxConnection,
  InboxPayload,
  SetInboxMembersInput,
  UpdateInboxInput,
} from './inbox.inputs';

@Resolver(() => Inbox)
export class InboxResolver {
  constructor(private readonly inboxService: InboxService) {}

  @Authorized(Permission.ReadInboxes)
  @Query(() => Inbox)
  inbox(@CurrentAuth() auth: Auth, @Args() { id }: IdArgs): Promise<Inbox> {
    return this.inboxService.get(auth, id);
  }

  @Authorized(Permission.ReadInboxes)
  @Query(() => InboxConnection, { description: 'Agents see the inboxes they are members of.' })
  async inboxes(
    @CurrentAuth() auth: Auth,
    @Args() page: ConnectionArgs,
  ): Promise<ConnectionShape<Inbox>> {
    return toConnection(await this.inboxService.list(auth, page));
  }

  @Authorized(Permission.ManageInboxes)
  @Mutation(() => InboxPayload)
  async createInbox(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: CreateInboxInput,
  ): Promise<InboxPayload> {
    return { inbox: await this.inboxService.create(auth, input) };
  }

  @Authorized(Permission.ManageInboxes)
  @Mutation(() => InboxPayload)
  async updateInbox(
    @CurrentAuth() auth: Auth,
    @Arg('input') { inboxId, ...fields }: UpdateInboxInput,
  ): Promise<InboxPayload> {
    return { inbox: await this.inboxService.update(auth, inboxId, fields) };
  }

  @Authorized(Permission.ManageInboxes)
  @Mutation(() => InboxPayload)
  async setInboxMembers(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: SetInboxMembersInput,
  ): Promise<InboxPayload> {
    return { inbox: await this.inboxService.setMembers(auth, input.inboxId, input.staffIds) };
  }

  @FieldResolver(() => [Staff])
  members(@Root() inbox: Inbox, @Ctx() { loaders }: Context): Promise<Staff[]> {
    return loaders.membersOfInbox.load(inbox.id);
  }
}
