import { ArgsType, Field, ID, InputType } from 'type-graphql';
import {
  IsDate,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { Direction, InteractionState } from '../../entities/enums';
import { ConnectionArgs } from '../../schema/connection';

@InputType({ description: 'Each filter given narrows the search (C15).' })
export class InteractionRecordFilterInput {
  @Field(() => Date, {
    nullable: true,
    description: 'Started at or after this instant (inclusive).',
  })
  @IsOptional()
  @IsDate()
  from?: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Started before this instant (exclusive): a day is [midnight, next midnight).',
  })
  @IsOptional()
  @IsDate()
  to?: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The customer's number the interaction comes from, the whole number (normalized to E.164 " +
      'as contacts are: +34 911 23 45 67 and 0034911234567 are the same).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  number?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'A part of the subject, in any case (`refund` finds "Refund request").',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  subject?: string | null;

  @Field(() => ID, { nullable: true, description: 'Interactions of this campaign.' })
  @IsOptional()
  @IsUUID('all')
  campaignId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Interactions this agent attended (their assignee; the last one, if it moved).',
  })
  @IsOptional()
  @IsUUID('all')
  agentId?: string | null;

  @Field(() => Direction, { nullable: true })
  @IsOptional()
  @IsEnum(Direction)
  direction?: Direction | null;

  @Field(() => InteractionState, { nullable: true })
  @IsOptional()
  @IsEnum(InteractionState)
  state?: InteractionState | null;
}

@ArgsType()
export class InteractionRecordsArgs extends ConnectionArgs {
  @Field(() => InteractionRecordFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: InteractionRecordFilterInput | null;
}

@ArgsType()
export class ContactHistoryArgs extends ConnectionArgs {
  @Field(() => ID, {
    nullable: true,
    description: 'Leave out this conversation (the one on screen: its messages are read there).',
  })
  @IsOptional()
  @IsUUID('all')
  excludeConversationId?: string | null;
}
