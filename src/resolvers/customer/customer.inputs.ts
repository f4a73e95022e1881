import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import {
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Contact } from '../../entities/contact.entity';
import { Customer } from '../../entities/customer.entity';
import { ContactKind, ConversationStatus } from '../../entities/enums';
import { ConnectionArgs, ConnectionType } from '../../schema/connection';
import { IsNotBlank, IsOmittable } from '../common/validation';

@InputType()
export class CreateCustomerInput {
  @Field()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(100)
  username?: string | null;

  @Field(() => String, { nullable: true, description: 'Also added as an EMAIL contact.' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Normalized to E.164 and added as a PHONE contact.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  postalAddress?: string | null;
}

@InputType()
export class UpdateCustomerInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field({ nullable: true })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(100)
  username?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  postalAddress?: string | null;
}

@InputType()
export class AddContactInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field(() => ContactKind)
  @IsEnum(ContactKind)
  kind: ContactKind;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  value: string;
}

@InputType()
export class CustomerFilterInput {
  @Field(() => String, { nullable: true, description: 'Part of the name, username or email.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  query?: string | null;
}

@ArgsType()
export class CustomersArgs extends ConnectionArgs {
  @Field(() => CustomerFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: CustomerFilterInput | null;
}

@ArgsType()
export class CustomerConversationsArgs extends ConnectionArgs {
  @Field(() => ConversationStatus, { nullable: true })
  @IsOptional()
  @IsEnum(ConversationStatus)
  status?: ConversationStatus | null;
}

@ObjectType()
export class CustomerPayload {
  @Field(() => Customer)
  customer: Customer;
}

@ObjectType()
export class AddContactPayload {
  @Field(() => Contact)
  contact: Contact;
}

export const CustomerConnection = ConnectionType(Customer);
