import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import {
  IsBoolean,
  IsDate,
  IsEnum,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { ServiceRequest, ServiceRequestKind } from '../../entities/service-request.entity';
import { ConnectionArgs, ConnectionType } from '../../schema/connection';
import { IsNotBlank } from '../common/validation';

@InputType()
export class SubmitRequestInput {
  @Field(() => ID, { description: 'Whose request it is: with assisted service, the one assisted.' })
  @IsUUID('all')
  customerId: string;

  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  service: string;

  @Field(() => GraphQLJSONObject, { description: 'What the customer asks for.' })
  @IsObject()
  form: Record<string, unknown>;
}

@InputType()
export class FormInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field(() => ID, {
    nullable: true,
    description: 'A draft saved before (saveForm): it is overwritten, or submitted.',
  })
  @IsOptional()
  @IsUUID('all')
  formId?: string | null;

  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  service: string;

  @Field(() => GraphQLJSONObject)
  @IsObject()
  form: Record<string, unknown>;
}

@InputType()
export class StartWorkflowInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field({ description: 'The service whose workflow starts.' })
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  service: string;

  @Field(() => GraphQLJSONObject, { description: "The workflow's inputs." })
  @IsObject()
  data: Record<string, unknown>;
}

@ObjectType()
export class ServiceRequestPayload {
  @Field(() => ServiceRequest)
  request: ServiceRequest;
}

@InputType()
export class ServiceRequestFilterInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  customerId?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'True: made through assisted service; false: by the customers themselves.',
  })
  @IsOptional()
  @IsBoolean()
  assisted?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'Made with the help of this staff member.' })
  @IsOptional()
  @IsUUID('all')
  assistedById?: string | null;

  @Field(() => String, { nullable: true, description: 'The service, in any letter case.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  service?: string | null;

  @Field(() => ServiceRequestKind, { nullable: true })
  @IsOptional()
  @IsEnum(ServiceRequestKind)
  kind?: ServiceRequestKind | null;

  @Field(() => Date, { nullable: true, description: 'Created at or after.' })
  @IsOptional()
  @IsDate()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Created before.' })
  @IsOptional()
  @IsDate()
  to?: Date | null;
}

@ArgsType()
export class ServiceRequestsArgs extends ConnectionArgs {
  @Field(() => ServiceRequestFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: ServiceRequestFilterInput | null;
}

export const ServiceRequestConnection = ConnectionType(ServiceRequest);
