import { Arg, Args, Authorized, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Customer } from '../../entities/customer.entity';
import { type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { AssistedCustomerService } from '../../services/assist/assisted-customer.service';
import { CustomerSearchService } from '../../services/assist/customer-search.service';
import { CustomerConnection, CustomerPayload } from '../customer/customer.inputs';
import {
  RegisterCustomerInput,
  SearchCustomersArgs,
  UpdateCustomerProfileInput,
} from './assisted-customer.inputs';

@Resolver()
export class AssistedCustomerResolver {
  constructor(
    private readonly assisted: AssistedCustomerService,
    private readonly search: CustomerSearchService,
  ) {}

  @Authorized(Permission.ReadCustomers)
  @Query(() => CustomerConnection, {
    description:
      'Finds the customer to assist (A1), best matches first. Ranked by tier, then score, then ' +
      'name: (0) exact: the whole query is the name, username, email, postal address or phone ' +
      'number (any of their contacts; any format that reads as a whole number); (1) prefix: it ' +
      'starts the name or one of its words, the username or an email, its digits appear in a ' +
      'phone number ("555 01" finds +1 555 0100), or its words are whole words of the postal ' +
      'address (the last may be cut short: "12 Main St"); (2) similar: a name close to it ' +
      '(trigram similarity: typos and near-duplicates, "Jon Smyth" finds John Smith), or ' +
      'its words start words of the postal address. Score: how close the best field is (0 to 1).',
  })
  async searchCustomers(
    @CurrentAuth() auth: Auth,
    @Args() { query, first, after }: SearchCustomersArgs,
  ): Promise<ConnectionShape<Customer>> {
    return toConnection(await this.search.search(auth, query, { first, after }));
  }

  @Authorized(Permission.ActForCustomers)
  @Mutation(() => CustomerPayload, {
    description:
      "Changes the customer's profile on their behalf: staff need an assist session for this " +
      'customer (else FORBIDDEN, nothing written); the audit trail names both people.',
  })
  async updateCustomerProfile(
    @CurrentAuth() auth: Auth,
    @Arg('input') { customerId, ...fields }: UpdateCustomerProfileInput,
  ): Promise<CustomerPayload> {
    return { customer: await this.assisted.updateProfile(auth, customerId, fields) };
  }

  @Authorized(Permission.ActForCustomers)
  @Mutation(() => CustomerPayload, {
    description:
      'Registers the caller being assisted as a new customer: staff need an assist session ' +
      'started without a customer (else FORBIDDEN), which now names them. An API key registers ' +
      "through the customer's own channel.",
  })
  async registerCustomer(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: RegisterCustomerInput,
  ): Promise<CustomerPayload> {
    return { customer: await this.assisted.register(auth, input) };
  }
}
