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
import { Campaign } from '../../entities/campaign.entity';
import { CannedResponse } from '../../entities/canned-response.entity';
import { Inbox } from '../../entities/inbox.entity';
import { Provider } from '../../entities/provider.entity';
import { Staff } from '../../entities/staff.entity';
import { ConnectionArgs, type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { CampaignService } from '../../services/campaign/campaign.service';
import { IdArgs } from '../common/id.args';
import {
  CampaignConnection,
  CampaignPayload,
  CreateCampaignInput,
  SetCampaignMembersInput,
  UpdateCampaignInput,
} from './campaign.inputs';

@Resolver(() => Campaign)
export class CampaignResolver {
  constructor(private readonly campaignService: CampaignService) {}

  @Authorized(Permission.ReadCampaigns)
  @Query(() => Campaign)
  campaign(@CurrentAuth() auth: Auth, @Args() { id }: IdArgs): Promise<Campaign> {
    return this.campaignService.get(auth, id);
  }

  @Authorized(Permission.ReadCampaigns)
  @Query(() => CampaignConnection, { description: 'Agents see the campaigns they are members of.' })
  async campaigns(
    @CurrentAuth() auth: Auth,
    @Args() page: ConnectionArgs,
  ): Promise<ConnectionShape<Campaign>> {
    return toConnection(await this.campaignService.list(auth, page));
  }

  @Authorized(Permission.ManageCampaigns)
  @Mutation(() => CampaignPayload, { description: 'Creates the campaign and its own inbox.' })
  async createCampaign(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: CreateCampaignInput,
  ): Promise<CampaignPayload> {
    return { campaign: await this.campaignService.create(auth, input) };
  }

  @Authorized(Permission.ManageCampaigns)
  @Mutation(() => CampaignPayload)
  async updateCampaign(
    @CurrentAuth() auth: Auth,
    @Arg('input') { campaignId, ...fields }: UpdateCampaignInput,
  ): Promise<CampaignPayload> {
    return { campaign: await this.campaignService.update(auth, campaignId, fields) };
  }

  @Authorized(Permission.ManageCampaigns)
  @Mutation(() => CampaignPayload)
  async setCampaignMembers(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: SetCampaignMembersInput,
  ): Promise<CampaignPayload> {
    return {
      campaign: await this.campaignService.setMembers(auth, input.campaignId, input.staffIds),
    };
  }

  @FieldResolver(() => [Staff])
  members(@Root() campaign: Campaign, @Ctx() { loaders }: Context): Promise<Staff[]> {
    return loaders.membersOfCampaign.load(campaign.id);
  }

  @FieldResolver(() => [CannedResponse])
  cannedResponses(
    @Root() campaign: Campaign,
    @Ctx() { loaders }: Context,
  ): Promise<CannedResponse[]> {
    return loaders.cannedResponsesOfCampaign.load(campaign.id);
  }

  @FieldResolver(() => Provider, {
    nullable: true,
    description: 'Null once its provider was deleted (a disabled campaign).',
  })
  async provider(
    @Root() campaign: Campaign,
    @Ctx() { loaders }: Context,
  ): Promise<Provider | null> {
    return campaign.providerId ? loaders.provider.load(campaign.providerId) : null;
  }

  @FieldResolver(() => Inbox, { description: "The campaign's own inbox: its interactions." })
  async inbox(@Root() campaign: Campaign, @Ctx() { loaders }: Context): Promise<Inbox> {
    return (await loaders.inbox.load(campaign.inboxId)) as Inbox;
  }
}
