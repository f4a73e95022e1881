import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { IsDate, IsInt, IsOptional, IsUUID, Min } from 'class-validator';

@InputType()
export class AddHelperInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field(() => ID, { description: 'Agents may only name themselves.' })
  @IsUUID('all')
  staffId: string;

  @Field(() => Date, { nullable: true, description: 'Ends the help by itself at this time (H3).' })
  @IsOptional()
  @IsDate()
  until?: Date | null;
}

@InputType()
export class EndHelperInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field(() => ID, { description: 'Agents may only name themselves.' })
  @IsUUID('all')
  staffId: string;
}

@ArgsType()
export class HelperChangesArgs {
  @Field(() => ID, {
    nullable: true,
    description: "The customer's helpers; without it, the ones you help.",
  })
  @IsOptional()
  @IsUUID('all')
  customerId?: string | null;
}

@ArgsType()
export class NotificationsArgs {
  @Field(() => Int, { nullable: true, description: 'Resume cursor: the last seq received.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  after?: number | null;
}
