import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { ApiKey } from '../../entities/api-key.entity';
import { Staff } from '../../entities/staff.entity';
import { CurrentAuth, Public } from '../../schema/decorators';
import { ApiKeyService } from '../../services/auth/api-key.service';
import { AuthService } from '../../services/auth/auth.service';
import {
  ApiKeyPayload,
  CreateApiKeyInput,
  CreateApiKeyPayload,
  RevokeApiKeyInput,
  SignInInput,
  SignInPayload,
  SignOutPayload,
} from './auth.inputs';

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly apiKeyService: ApiKeyService,
  ) {}

  @Public()
  @Mutation(() => SignInPayload, {
    description:
      'Throttled per email and client address (repeated failures) and per client address ' +
      '(attempts of any email): RATE_LIMITED with retryAfterSeconds.',
  })
  signIn(
    @Arg('input') input: SignInInput,
    @Ctx() { clientAddress }: Context,
  ): Promise<SignInPayload> {
    return this.auth.signIn(
      input.email,
      input.password,
      clientAddress ?? 'unknown',
      input.organizationId,
    );
  }

  @Authorized(Permission.OwnSession)
  @Mutation(() => SignOutPayload, {
    description: 'Ends this sign-in: its token is refused and its sockets close.',
  })
  async signOut(@CurrentAuth() auth: Auth): Promise<SignOutPayload> {
    await this.auth.signOut(auth);
    return { signedOut: true };
  }

  @Query(() => Staff, {
    nullable: true,
    description: 'The signed-in staff member; null for an API key.',
  })
  me(@CurrentAuth() auth: Auth, @Ctx() { loaders }: Context): Promise<Staff | null> | null {
    return auth.staffId ? loaders.staff.load(auth.staffId) : null;
  }

  @Authorized(Permission.ManageApiKeys)
  @Mutation(() => CreateApiKeyPayload)
  createApiKey(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: CreateApiKeyInput,
  ): Promise<CreateApiKeyPayload> {
    return this.apiKeyService.create(auth, input.name, input.role);
  }

  @Authorized(Permission.ManageApiKeys)
  @Mutation(() => ApiKeyPayload)
  async revokeApiKey(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: RevokeApiKeyInput,
  ): Promise<ApiKeyPayload> {
    return { apiKey: await this.apiKeyService.revoke(auth, input.apiKeyId) };
  }

  @Authorized(Permission.ManageApiKeys)
  @Query(() => [ApiKey])
  apiKeys(@CurrentAuth() auth: Auth): Promise<ApiKey[]> {
    return this.apiKeyService.list(auth);
  }
}
