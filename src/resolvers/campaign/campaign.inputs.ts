import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  ArrayMaxSize,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Campaign } from '../../entities/campaign.entity';
import { ConnectionType } from '../../schema/connection';
import { IsNotBlank, IsOmittable } from '../common/validation';

const DAY = 24 * 60 * 60;

@InputType({
  description:
    'A canned response. With id: that existing response, changed; without: a new one. ' +
    'templateName and templateLanguage go together (an approved WhatsApp template).',
})
export class CannedResponseInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  id?: string;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title: string;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  body: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  templateName?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  templateLanguage?: string | null;
}

@InputType()
export class CreateCampaignInput {
  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => ID)
  @IsUUID('all')
  providerId: string;

  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(1000)
  maxInteractionsPerAgent: number;

  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(DAY)
  serviceLevelSeconds: number;

  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(7 * DAY)
  abandonAfterSeconds: number;

  @Field({
    nullable: true,
    description:
      'Service level counts abandoned interactions (after shortAbandonSeconds) against it. Default true.',
  })
  @IsOptional()
  @IsBoolean()
  serviceLevelCountsAbandoned?: boolean;

  @Field(() => Int, {
    nullable: true,
    description:
      'Abandons within this many seconds of waiting are short: ignored by the service level. Default 5.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(DAY)
  shortAbandonSeconds?: number;

  @Field({ nullable: true, description: 'Default true.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @Field(() => [ID], { nullable: true, description: 'Active agents of the organization (C17).' })
  @IsOptional()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  memberIds?: string[];

  @Field(() => [CannedResponseInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  cannedResponses?: CannedResponseInput[];
}

@InputType({ description: 'Omitted fields stay as they are.' })
export class UpdateCampaignInput {
  @Field(() => ID)
  @IsUUID('all')
  campaignId: string;

  @Field({ nullable: true })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name?: string;

  @Field(() => ID, { nullable: true })
  @IsOmittable()
  @IsUUID('all')
  providerId?: string;

  @Field(() => Int, { nullable: true })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxInteractionsPerAgent?: number;

  @Field(() => Int, { nullable: true })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(DAY)
  serviceLevelSeconds?: number;

  @Field(() => Int, { nullable: true })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(7 * DAY)
  abandonAfterSeconds?: number;

  @Field({ nullable: true })
  @IsOmittable()
  @IsBoolean()
  serviceLevelCountsAbandoned?: boolean;

  @Field(() => Int, { nullable: true })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(DAY)
  shortAbandonSeconds?: number;

  @Field({ nullable: true, description: 'Disabling keeps everything and stops new routing.' })
  @IsOmittable()
  @IsBoolean()
  enabled?: boolean;

  @Field(() => [CannedResponseInput], {
    nullable: true,
    description: 'The complete list, in order: responses left out are removed.',
  })
  @IsOmittable()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  cannedResponses?: CannedResponseInput[];
}

@InputType()
export class SetCampaignMembersInput {
  @Field(() => ID)
  @IsUUID('all')
  campaignId: string;

  @Field(() => [ID], { description: 'The complete list of members: active agents (C17).' })
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  staffIds: string[];
}

@ObjectType()
export class CampaignPayload {
  @Field(() => Campaign)
  campaign: Campaign;
}

export const CampaignConnection = ConnectionType(Campaign);
