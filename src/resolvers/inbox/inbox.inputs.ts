import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsBoolean,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { Channel } from '../../entities/enums';
import { Inbox } from '../../entities/inbox.entity';
import { ConnectionType } from '../../schema/connection';
import { IsNotBlank, IsOmittable } from '../common/validation';

@InputType()
export class CreateInboxInput {
  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => [Channel], { nullable: true, description: 'Defaults to every channel.' })
  @IsOptional()
  @ArrayMinSize(1)
  @IsEnum(Channel, { each: true })
  channels?: Channel[];

  @Field({
    nullable: true,
    description: 'Makes it the default voice inbox (the previous one stops being it).',
  })
  @IsOptional()
  @IsBoolean()
  isDefaultVoice?: boolean;
}

@InputType()
export class UpdateInboxInput {
  @Field(() => ID)
  @IsUUID('all')
  inboxId: string;

  @Field({ nullable: true })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name?: string;

  @Field(() => [Channel], { nullable: true })
  @IsOmittable()
  @ArrayMinSize(1)
  @IsEnum(Channel, { each: true })
  channels?: Channel[];

  @Field({ nullable: true })
  @IsOptional()
  @IsBoolean()
  isDefaultVoice?: boolean;

  @Field(() => Int, {
    nullable: true,
    description: 'Raising it routes waiting conversations at once.',
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(1000)
  agentCapacity?: number;
}

@InputType()
export class SetInboxMembersInput {
  @Field(() => ID)
  @IsUUID('all')
  inboxId: string;

  @Field(() => [ID], { description: 'The complete list of members.' })
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  staffIds: string[];
}

@ObjectType()
export class InboxPayload {
  @Field(() => Inbox)
  inbox: Inbox;
}

export const InboxConnection = ConnectionType(Inbox);
