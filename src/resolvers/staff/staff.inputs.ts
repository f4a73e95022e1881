import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import {
  IsBoolean,
  IsEmail,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Role, StaffStatus } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';
import { ConnectionArgs, ConnectionType } from '../../schema/connection';
import { IsNotBlank, IsOmittable } from '../common/validation';

@InputType()
export class CreateStaffInput {
  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @Field({ description: 'At least 8 characters.' })
  @IsString()
  @MaxLength(200)
  password: string;

  @Field(() => Role)
  @IsEnum(Role)
  role: Role;

  @Field(() => ID, { nullable: true, description: 'Also makes them a member of that inbox.' })
  @IsOptional()
  @IsUUID('all')
  defaultInboxId?: string | null;
}

@InputType()
export class UpdateStaffInput {
  @Field(() => ID)
  @IsUUID('all')
  staffId: string;

  @Field({ nullable: true })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name?: string;

  @Field({ nullable: true })
  @IsOmittable()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email?: string;

  @Field({ nullable: true, description: 'Changing it signs the staff member out everywhere.' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  password?: string;

  @Field(() => Role, { nullable: true })
  @IsOmittable()
  @IsEnum(Role)
  role?: Role;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  defaultInboxId?: string | null;
}

@InputType()
export class DeactivateStaffInput {
  @Field(() => ID)
  @IsUUID('all')
  staffId: string;
}

@InputType()
export class SetMyStatusInput {
  @Field(() => StaffStatus)
  @IsEnum(StaffStatus)
  status: StaffStatus;
}

@InputType()
export class StaffFilterInput {
  @Field(() => Role, { nullable: true })
  @IsOptional()
  @IsEnum(Role)
  role?: Role | null;

  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean | null;
}

@ArgsType()
export class StaffMembersArgs extends ConnectionArgs {
  @Field(() => StaffFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: StaffFilterInput | null;
}

@ObjectType()
export class StaffPayload {
  @Field(() => Staff)
  staff: Staff;
}

export const StaffConnection = ConnectionType(Staff);
