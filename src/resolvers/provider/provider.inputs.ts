import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsEnum, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { Provider, ProviderKind } from '../../entities/provider.entity';
import { ConnectionType } from '../../schema/connection';
import { IsNotBlank, IsOmittable } from '../common/validation';

const SECRET = 'Write-only: stored sealed, never returned.';

@InputType({
  description: 'Fields of a provider; which ones a kind takes is in their descriptions.',
})
class ProviderFieldsInput {
  @Field({
    nullable: true,
    description: "The API's base URL with its version; the kind's own by default.",
  })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  apiBaseUrl?: string;

  @Field({ nullable: true, description: 'WHATSAPP_CLOUD (required): the phone number id.' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  phoneNumberId?: string;

  @Field({ nullable: true, description: 'WHATSAPP_CLOUD: the WhatsApp Business Account id.' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  businessAccountId?: string;

  @Field({ nullable: true, description: 'TWILIO (required): the account SID.' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  accountSid?: string;

  @Field({ nullable: true, description: `WHATSAPP_CLOUD (required): the access token. ${SECRET}` })
  @IsOmittable()
  @IsString()
  @MaxLength(4000)
  accessToken?: string;

  @Field({
    nullable: true,
    description: `WHATSAPP_CLOUD (required): the app secret webhooks are signed with. ${SECRET}`,
  })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  appSecret?: string;

  @Field({
    nullable: true,
    description: `WHATSAPP_CLOUD (required): the webhook verification token. ${SECRET}`,
  })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  verifyToken?: string;

  @Field({ nullable: true, description: `TWILIO (required): the auth token. ${SECRET}` })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  authToken?: string;
}

@InputType()
export class CreateProviderInput extends ProviderFieldsInput {
  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => ProviderKind)
  @IsEnum(ProviderKind)
  kind: ProviderKind;

  @Field({ description: 'The display phone number, e.g. +14155550100.' })
  @IsString()
  @MaxLength(40)
  accountNumber: string;
}

@InputType({
  description: 'Omitted fields stay as they are. New credentials set the health to OK.',
})
export class UpdateProviderInput extends ProviderFieldsInput {
  @Field(() => ID)
  @IsUUID('all')
  providerId: string;

  @Field({ nullable: true })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name?: string;

  @Field({ nullable: true })
  @IsOmittable()
  @IsString()
  @MaxLength(40)
  accountNumber?: string;
}

@InputType()
export class DeleteProviderInput {
  @Field(() => ID)
  @IsUUID('all')
  providerId: string;
}

@ObjectType()
export class ProviderPayload {
  @Field(() => Provider)
  provider: Provider;
}

@ObjectType()
export class DeleteProviderPayload {
  @Field(() => ID)
  providerId: string;
}

export const ProviderConnection = ConnectionType(Provider);
