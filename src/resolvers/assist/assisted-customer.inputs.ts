import { ArgsType, Field, InputType } from 'type-graphql';
import { IsString, MaxLength } from 'class-validator';
import { ConnectionArgs } from '../../schema/connection';
import { CreateCustomerInput, UpdateCustomerInput } from '../customer/customer.inputs';

@ArgsType()
export class SearchCustomersArgs extends ConnectionArgs {
  @Field({
    description:
      'What the caller says: a name, username, email, phone number (any format, or part of ' +
      'one) or postal address. At least 2 characters.',
  })
  @IsString()
  @MaxLength(200)
  query: string;
}

@InputType({ description: 'As updateCustomer: omitted fields stay, null clears one.' })
export class UpdateCustomerProfileInput extends UpdateCustomerInput {}

@InputType()
export class RegisterCustomerInput extends CreateCustomerInput {}
