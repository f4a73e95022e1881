import {
  Arg,
  Extensions,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Info,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { nestedPageSelection } from '../../schema/nested-selection';
import { connectionNodeProperties, objectProperties } from '../../schema/selected-properties';
import { type EmbeddedPage, embeddedRelation } from '../../context/embedded-relations';
import { CustomerService } from '../../services/customer/customer.service';
import { IdArgs } from '../common/id.args';
import { ConversationConnection } from '../conversation/conversation.inputs';
import {
  AddContactInput,
  AddContactPayload,
  CreateCustomerInput,
  CustomerConnection,
  CustomerConversationsArgs,
  CustomerPayload,
  CustomersArgs,
  UpdateCustomerInput,
} from './customer.inputs';

@Resolver(() => Customer)
export class CustomerResolver {
  constructor(private readonly customerService: CustomerService) {}

  @Authorized(Permission.ReadCustomers)
  @Query(() => Customer)
  customer(@CurrentAuth() auth: Auth, @Args() { id }: IdArgs): Promise<Customer> {
    return this.customerService.get(auth, id);
  }

  @Authorized(Permission.ReadCustomers)
  @Query(() => CustomerConnection, { description: 'Ordered by name.' })
  async customers(
    @CurrentAuth() auth: Auth,
    @Args() { filter, first, after }: CustomersArgs,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ConnectionShape<Customer>> {
    // The columns the query reads, and the relations the page's statement builds as JSON.
    const selection = nestedPageSelection(info);
    const properties = selection?.properties;
    const embed = loaders.embedPage(Customer, selection);
    return toConnection(
      await this.customerService.list(auth, filter ?? {}, { first, after, properties, embed }),
    );
  }

  @Authorized(Permission.WriteCustomers)
  @Mutation(() => CustomerPayload)
  async createCustomer(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: CreateCustomerInput,
  ): Promise<CustomerPayload> {
    return { customer: await this.customerService.create(auth, input) };
  }

  @Authorized(Permission.WriteCustomers)
  @Mutation(() => CustomerPayload, {
    description: 'Omitted fields stay as they are; null clears one (all but the name).',
  })
  async updateCustomer(
    @CurrentAuth() auth: Auth,
    @Arg('input') { customerId, ...fields }: UpdateCustomerInput,
  ): Promise<CustomerPayload> {
    return { customer: await this.customerService.update(auth, customerId, fields) };
  }

  @Authorized(Permission.WriteCustomers)
  @Mutation(() => AddContactPayload, {
    description:
      "Adding a contact the customer already has returns it; another customer's is a CONFLICT.",
  })
  async addContact(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: AddContactInput,
  ): Promise<AddContactPayload> {
    return {
      contact: await this.customerService.addContact(
        auth,
        input.customerId,
        input.kind,
        input.value,
      ),
    };
  }

  // `reads`: all these read of their customer (src/schema/selected-properties.ts); `embeds`:
  // the relation a page of customers may bring with it (src/schema/nested-selection.ts).
  @Extensions({ reads: ['id'], embeds: 'contacts' })
  @FieldResolver(() => [Contact])
  contacts(
    @Root() customer: Customer,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Contact[] | Promise<Contact[]> {
    return (
      embeddedRelation<Contact[]>(customer, 'contacts') ??
      loaders.contactsOfCustomer(objectProperties(info)?.properties).load(customer.id)
    );
  }

  // Agents see only some conversations: who asks changes the answer.
  @Extensions({ viewerDependent: true, reads: ['id'], embeds: 'conversations' })
  @FieldResolver(() => ConversationConnection, { description: 'Newest first.' })
  conversations(
    @Root() customer: Customer,
    @Args() args: CustomerConversationsArgs,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): ConnectionShape<Conversation> | Promise<ConnectionShape<Conversation>> {
    const embedded = embeddedRelation<EmbeddedPage<Conversation>>(customer, 'conversations', args);
    if (embedded) return toConnection(embedded);
    // Only the columns the query reads of them (a list of 50 customers reads 150 conversations).
    const read = connectionNodeProperties(info)?.properties;
    return loaders.conversationsOfCustomer(args, read).load(customer.id).then(toConnection);
  }
}

@Resolver(() => Contact)
export class ContactResolver {
  // All it reads of its contact (src/schema/selected-properties.ts).
  @Extensions({ reads: ['customerId'] })
  @FieldResolver(() => Customer)
  async customer(@Root() contact: Contact, @Ctx() { loaders }: Context): Promise<Customer | null> {
    return loaders.customer.load(contact.customerId);
  }
}
