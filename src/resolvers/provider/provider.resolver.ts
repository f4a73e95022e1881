import {
  Arg,
  Args,
  Authorized,
  FieldResolver,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import { Provider, ProviderHealth } from '../../entities/provider.entity';
import { ConnectionArgs, type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { ProviderService } from '../../services/provider/provider.service';
import { IdArgs } from '../common/id.args';
import {
  CreateProviderInput,
  DeleteProviderInput,
  DeleteProviderPayload,
  ProviderConnection,
  ProviderPayload,
  UpdateProviderInput,
} from './provider.inputs';

@Resolver(() => Provider)
export class ProviderResolver {
  constructor(private readonly providerService: ProviderService) {}

  @Authorized(Permission.ManageProviders)
  @Query(() => ProviderConnection, {
    description: 'The provider registry (ADMIN). Never credentials.',
  })
  async providers(
    @CurrentAuth() auth: Auth,
    @Args() page: ConnectionArgs,
  ): Promise<ConnectionShape<Provider>> {
    return toConnection(await this.providerService.list(auth, page));
  }

  @Authorized(Permission.ManageProviders)
  @Query(() => Provider)
  provider(@CurrentAuth() auth: Auth, @Args() { id }: IdArgs): Promise<Provider> {
    return this.providerService.get(auth, id);
  }

  @Authorized(Permission.ManageProviders)
  @Mutation(() => ProviderPayload)
  async createProvider(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: CreateProviderInput,
  ): Promise<ProviderPayload> {
    return { provider: await this.providerService.create(auth, input) };
  }

  @Authorized(Permission.ManageProviders)
  @Mutation(() => ProviderPayload)
  async updateProvider(
    @CurrentAuth() auth: Auth,
    @Arg('input') { providerId, ...fields }: UpdateProviderInput,
  ): Promise<ProviderPayload> {
    return { provider: await this.providerService.update(auth, providerId, fields) };
  }

  @Authorized(Permission.ManageProviders)
  @Mutation(() => DeleteProviderPayload, {
    description: 'CONFLICT while an enabled campaign uses it; disabled campaigns lose it.',
  })
  async deleteProvider(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: DeleteProviderInput,
  ): Promise<DeleteProviderPayload> {
    return { providerId: (await this.providerService.delete(auth, input.providerId)).id };
  }

  @Authorized(Permission.ManageProviders)
  @FieldResolver(() => ProviderHealth, { description: 'ADMIN only.' })
  health(@Root() provider: Provider): ProviderHealth {
    return {
      state: provider.healthState,
      lastError: provider.lastError,
      failingSince: provider.failingSince,
    };
  }
}
