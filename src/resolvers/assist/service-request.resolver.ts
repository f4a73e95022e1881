import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { AssistSession } from '../../entities/assist-session.entity';
import { Customer } from '../../entities/customer.entity';
import { ServiceRequest } from '../../entities/service-request.entity';
import { Staff } from '../../entities/staff.entity';
import { ConnectionArgs, type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { ServiceRequestService } from '../../services/assist/service-request.service';
import { Actor } from '../common/actor.type';
import {
  FormInput,
  ServiceRequestConnection,
  ServiceRequestPayload,
  ServiceRequestsArgs,
  StartWorkflowInput,
  SubmitRequestInput,
} from './service-request.inputs';

const ON_BEHALF =
  "Recorded as the customer's own. Staff need an assist session for this customer (else " +
  'FORBIDDEN, and nothing is written): the request names them as `assistedBy`, with the ' +
  "session. An API key is the customer's own channel: no assistant.";

@Resolver()
export class ServiceRequestResolver {
  constructor(private readonly requests: ServiceRequestService) {}

  @Authorized(Permission.ActForCustomers)
  @Mutation(() => ServiceRequestPayload, { description: `Submits a request. ${ON_BEHALF}` })
  async submitRequest(
    @CurrentAuth() auth: Auth,
    @Arg('input') { customerId, service, form }: SubmitRequestInput,
  ): Promise<ServiceRequestPayload> {
    return {
      request: await this.requests.submitRequest(auth, { customerId, service, data: form }),
    };
  }

  @Authorized(Permission.ActForCustomers)
  @Mutation(() => ServiceRequestPayload, {
    description: `Saves a draft form (a new one, or \`formId\` overwritten). ${ON_BEHALF}`,
  })
  async saveForm(
    @CurrentAuth() auth: Auth,
    @Arg('input') { form, ...input }: FormInput,
  ): Promise<ServiceRequestPayload> {
    return { request: await this.requests.saveForm(auth, { ...input, data: form }) };
  }

  @Authorized(Permission.ActForCustomers)
  @Mutation(() => ServiceRequestPayload, {
    description: `Submits a form: the draft \`formId\` (CONFLICT once submitted), or a new one. ${ON_BEHALF}`,
  })
  async submitForm(
    @CurrentAuth() auth: Auth,
    @Arg('input') { form, ...input }: FormInput,
  ): Promise<ServiceRequestPayload> {
    return { request: await this.requests.submitForm(auth, { ...input, data: form }) };
  }

  @Authorized(Permission.ActForCustomers)
  @Mutation(() => ServiceRequestPayload, {
    description: `Starts a workflow in the customer's name. ${ON_BEHALF}`,
  })
  async startWorkflow(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: StartWorkflowInput,
  ): Promise<ServiceRequestPayload> {
    return { request: await this.requests.startWorkflow(auth, input) };
  }

  @Authorized(Permission.ReadServiceRequests)
  @Query(() => ServiceRequestConnection, {
    description: 'Requests, forms and workflows, newest first; filter by assisted service (A8).',
  })
  async serviceRequests(
    @CurrentAuth() auth: Auth,
    @Args() { filter, first, after }: ServiceRequestsArgs,
  ): Promise<ConnectionShape<ServiceRequest>> {
    return toConnection(await this.requests.list(auth, filter ?? {}, { first, after }));
  }
}

@Resolver(() => ServiceRequest)
export class ServiceRequestFieldsResolver {
  @FieldResolver(() => Customer, { description: 'Whose it is.' })
  async customer(
    @Root() request: ServiceRequest,
    @Ctx() { loaders }: Context,
  ): Promise<Customer | null> {
    return loaders.customer.load(request.customerId);
  }

  @FieldResolver(() => Boolean, { description: 'Made through assisted service.' })
  assisted(@Root() request: ServiceRequest): boolean {
    return request.assistedById !== null;
  }

  @FieldResolver(() => Staff, {
    nullable: true,
    description:
      'The staff member who made it for the customer; null when they made it themselves.',
  })
  assistedBy(
    @Root() request: ServiceRequest,
    @Ctx() { loaders }: Context,
  ): Promise<Staff | null> | null {
    return request.assistedById ? loaders.staff.load(request.assistedById) : null;
  }

  @FieldResolver(() => AssistSession, { nullable: true })
  assistSession(
    @Root() request: ServiceRequest,
    @Ctx() { loaders }: Context,
  ): Promise<AssistSession | null> | null {
    return request.assistSessionId ? loaders.assistSession.load(request.assistSessionId) : null;
  }

  @FieldResolver(() => Actor, {
    description:
      "Who entered it: the assisting staff member, or the customer's own channel (API key).",
  })
  recordedBy(@Root() request: ServiceRequest): Actor {
    return { kind: request.recordedByKind, id: request.recordedById, name: request.recordedByName };
  }
}

@Resolver(() => Customer)
export class CustomerRequestsResolver {
  @FieldResolver(() => ServiceRequestConnection, {
    description:
      'Their requests, forms and workflows, newest first, to identify them (A2); each says ' +
      'whether it was made with assistance, and by whom.',
  })
  async recentRequests(
    @Root() customer: Customer,
    @Args() args: ConnectionArgs,
    @Ctx() { loaders }: Context,
  ): Promise<ConnectionShape<ServiceRequest>> {
    return toConnection(await loaders.requestsOfCustomer(args).load(customer.id));
  }
}
