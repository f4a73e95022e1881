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
import { Role } from '../../entities/enums';
import { Inbox } from '../../entities/inbox.entity';
import { Staff } from '../../entities/staff.entity';
import { type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { StaffService } from '../../services/staff/staff.service';
import { IdArgs } from '../common/id.args';
import {
  CreateStaffInput,
  DeactivateStaffInput,
  SetMyStatusInput,
  StaffConnection,
  StaffMembersArgs,
  StaffPayload,
  UpdateStaffInput,
} from './staff.inputs';

@Resolver(() => Staff)
export class StaffResolver {
  constructor(private readonly staffService: StaffService) {}

  @Authorized(Permission.ReadStaff)
  @Query(() => Staff)
  staff(@CurrentAuth() auth: Auth, @Args() { id }: IdArgs): Promise<Staff> {
    return this.staffService.get(auth, id);
  }

  @Authorized(Permission.ReadStaff)
  @Query(() => StaffConnection)
  async staffMembers(
    @CurrentAuth() auth: Auth,
    @Args() { filter, first, after }: StaffMembersArgs,
  ): Promise<ConnectionShape<Staff>> {
    return toConnection(await this.staffService.list(auth, filter ?? {}, { first, after }));
  }

  @Authorized(Permission.ManageStaff)
  @Mutation(() => StaffPayload)
  async createStaff(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: CreateStaffInput,
  ): Promise<StaffPayload> {
    return { staff: await this.staffService.create(auth, input) };
  }

  @Authorized(Permission.ManageStaff)
  @Mutation(() => StaffPayload)
  async updateStaff(
    @CurrentAuth() auth: Auth,
    @Arg('input') { staffId, ...changes }: UpdateStaffInput,
  ): Promise<StaffPayload> {
    return { staff: await this.staffService.update(auth, staffId, changes) };
  }

  @Authorized(Permission.ManageStaff)
  @Mutation(() => StaffPayload, {
    description: 'They can no longer sign in; their sessions end at once.',
  })
  async deactivateStaff(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: DeactivateStaffInput,
  ): Promise<StaffPayload> {
    return { staff: await this.staffService.deactivate(auth, input.staffId) };
  }

  @Authorized(Permission.OwnSession)
  @Mutation(() => StaffPayload)
  async setMyStatus(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: SetMyStatusInput,
  ): Promise<StaffPayload> {
    return { staff: await this.staffService.setStatus(auth, input.status) };
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'Why a supervisor paused them (C12): seen by the staff member, supervisors and admins (null for others).',
  })
  pauseReason(@Root() staff: Staff, @CurrentAuth() auth: Auth): string | null {
    const sees =
      staff.id === auth.staffId || auth.role === Role.SUPERVISOR || auth.role === Role.ADMIN;
    return sees ? staff.pauseReason : null;
  }

  @FieldResolver(() => Inbox, { nullable: true })
  defaultInbox(@Root() staff: Staff, @Ctx() { loaders }: Context): Promise<Inbox | null> | null {
    return staff.defaultInboxId ? loaders.inbox.load(staff.defaultInboxId) : null;
  }
}
