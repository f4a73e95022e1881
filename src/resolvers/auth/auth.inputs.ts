import { Field, ID, InputType, ObjectType } from 'type-graphql';
import {
  IsEmail,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
} from 'class-validator';
import { ApiKey } from '../../entities/api-key.entity';
import { Role } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';
import { IsNotBlank } from '../common/validation';

@InputType()
export class SignInInput {
  @Field()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password: string;

  @Field(() => ID, {
    nullable: true,
    description:
      'Needed only when the email and password sign in to several organizations (the error ' +
      'then lists them in `extensions.organizations`).',
  })
  @IsOptional()
  @IsUUID('all')
  organizationId?: string;
}

@ObjectType()
export class SignInPayload {
  @Field({
    description:
      'Send as `Authorization: Bearer <token>`, or as `connectionParams.authorization` over WebSocket.',
  })
  token: string;

  @Field(() => ID, { description: 'The sign-in session; signOut ends it.' })
  sessionId: string;

  @Field(() => Staff)
  staff: Staff;
}

@ObjectType()
export class SignOutPayload {
  @Field()
  signedOut: boolean;
}

@InputType()
export class CreateApiKeyInput {
  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => Role, { defaultValue: Role.INTEGRATION })
  @IsEnum(Role)
  role: Role;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey)
  apiKey: ApiKey;

  @Field({ description: 'The key itself. It is shown this once and cannot be read again.' })
  key: string;
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => ID)
  @IsUUID('all')
  apiKeyId: string;
}

@ObjectType()
export class ApiKeyPayload {
  @Field(() => ApiKey)
  apiKey: ApiKey;
}
