import { Arg, Authorized, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import { CurrentAuth } from '../../schema/decorators';
import { OrganizationService } from '../../services/organization/organization.service';
import { OrganizationPayload, UpdateOrganizationInput } from './organization.inputs';

@Resolver()
export class OrganizationResolver {
  constructor(private readonly organizations: OrganizationService) {}

  @Authorized(Permission.ManageOrganization)
  @Mutation(() => OrganizationPayload, { description: "Your organization's settings." })
  async updateOrganization(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: UpdateOrganizationInput,
  ): Promise<OrganizationPayload> {
    return { organization: await this.organizations.update(auth, input) };
  }
}
