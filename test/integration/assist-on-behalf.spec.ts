import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  AuditEventsDocument,
  CustomerRecentRequestsDocument,
  EndAssistingDocument,
  MyActiveAssistDocument,
  RegisterCustomerDocument,
  SaveFormDocument,
  ServiceRequestsDocument,
  StartAssistingDocument,
  StartWorkflowDocument,
  SubmitFormDocument,
  SubmitRequestDocument,
  UpdateCustomerProfileDocument,
} from '../generated/graphql';
import { statementCounter } from '../../src/db/data-source';
import { Role } from '../../src/entities/enums';
import { GraphQLClient } from '../support/client';
import {
  newAgent,
  newCustomer,
  newOrg,
  newSupervisor,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { fingerprintDatabase } from './refusals';

type Input = Record<string, unknown>;

describe('acting on behalf of a customer', () => {
  let server: TestServer;
  let org: Org;
  let integration: GraphQLClient;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
    const { key } = await server.services.apiKeys.create(
      org.admin.auth,
      'Website',
      Role.INTEGRATION,
    );
    integration = new GraphQLClient(server.url, key);
  });
  afterAll(() => server.stop());

  const assist = async (member: Member, customerId: string | null) =>
    (
      await member.api.ok(StartAssistingDocument, {
        input: { customerId, channel: 'VOICE', service: 'Housing' },
      })
    ).startAssisting.session;

  /** Every action on behalf, with a valid input for `customerId`. */
  const actions = (
    customerId: string,
  ): Array<[string, TypedDocumentNode<unknown, { input: Input }>, Input]> => [
    [
      'submitRequest',
      loose(SubmitRequestDocument),
      { customerId, service: 'Repairs', form: { tap: 'leaks' } },
    ],
    [
      'saveForm',
      loose(SaveFormDocument),
      { customerId, service: 'Housing benefit', form: { step: 1 } },
    ],
    [
      'submitForm',
      loose(SubmitFormDocument),
      { customerId, service: 'Blue badge', form: { ok: true } },
    ],
    [
      'startWorkflow',
      loose(StartWorkflowDocument),
      { customerId, service: 'Move in', data: { on: 'Monday' } },
    ],
    [
      'updateCustomerProfile',
      loose(UpdateCustomerProfileDocument),
      { customerId, postalAddress: '9 Elm Road' },
    ],
  ];

  it("A4: while assisting, requests, forms, workflows and profile changes are the customer's own, with the assisting staff member and the assist session beside them", async () => {
    const [agent, customer] = await Promise.all([
      newAgent(org, { name: 'Ada Agent' }),
      newCustomer(org, { name: 'Carla Customer' }),
    ]);
    const session = await assist(agent, customer.id);
    const { submitRequest } = await agent.api.ok(SubmitRequestDocument, {
      input: { customerId: customer.id, service: 'Repairs', form: { tap: 'leaks' } },
    });
    const { saveForm } = await agent.api.ok(SaveFormDocument, {
      input: { customerId: customer.id, service: 'Housing benefit', form: { step: 1 } },
    });
    const { saveForm: saved } = await agent.api.ok(SaveFormDocument, {
      input: {
        customerId: customer.id,
        formId: saveForm.request.id,
        service: 'Housing benefit',
        form: { step: 2 },
      },
    });
    const { submitForm } = await agent.api.ok(SubmitFormDocument, {
      input: {
        customerId: customer.id,
        formId: saveForm.request.id,
        service: 'Housing benefit',
        form: { step: 3 },
      },
    });
    const { startWorkflow } = await agent.api.ok(StartWorkflowDocument, {
      input: { customerId: customer.id, service: 'Move in', data: { on: 'Monday' } },
    });
    const { updateCustomerProfile } = await agent.api.ok(UpdateCustomerProfileDocument, {
      input: { customerId: customer.id, postalAddress: '9 Elm Road' },
    });

    const onBehalf = {
      customer: { id: customer.id, name: 'Carla Customer' },
      assisted: true,
      assistedBy: { id: agent.staff.id, name: 'Ada Agent' },
      assistSession: { id: session.id },
      recordedBy: { kind: 'STAFF', id: agent.staff.id },
    };
    expect(submitRequest.request).toMatchObject({
      ...onBehalf,
      kind: 'REQUEST',
      status: 'SUBMITTED',
      data: { tap: 'leaks' },
    });
    expect(saveForm.request).toMatchObject({
      ...onBehalf,
      kind: 'FORM',
      status: 'DRAFT',
      submittedAt: null,
    });
    expect(saved.request).toMatchObject({
      id: saveForm.request.id,
      status: 'DRAFT',
      data: { step: 2 },
    });
    expect(submitForm.request).toMatchObject({
      ...onBehalf,
      id: saveForm.request.id,
      status: 'SUBMITTED',
      data: { step: 3 },
    });
    expect(submitForm.request.submittedAt).not.toBeNull();
    expect(startWorkflow.request).toMatchObject({
      ...onBehalf,
      kind: 'WORKFLOW',
      status: 'STARTED',
    });
    expect(updateCustomerProfile.customer.postalAddress).toBe('9 Elm Road');

    // One audit event per action, naming both people and the session.
    const { auditEvents } = await org.admin.api.ok(AuditEventsDocument, {
      first: 20,
      filter: { assistSessionId: session.id },
    });
    const events = auditEvents.edges.map((e) => e.node).reverse();
    expect(events.map((e) => e.kind)).toEqual([
      'ASSIST_STARTED',
      'REQUEST_SUBMITTED',
      'FORM_SAVED',
      'FORM_SAVED',
      'FORM_SUBMITTED',
      'WORKFLOW_STARTED',
      'PROFILE_UPDATED',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        actor: { kind: 'STAFF', id: agent.staff.id, name: 'Ada Agent' },
        onBehalfOf: { id: customer.id, name: 'Carla Customer' },
        assistSession: { id: session.id },
      });
    }
    expect(events[1]).toMatchObject({
      subjectType: 'ServiceRequest',
      subjectId: submitRequest.request.id,
    });
    expect(events[6]).toMatchObject({
      subjectType: 'Customer',
      subjectId: customer.id,
      data: { fields: ['postalAddress'] },
    });
  });

  it('A9: without an assist session, acting on behalf is FORBIDDEN and nothing is written', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    // Also once a session has ended.
    for (const when of ['never assisted', 'after the session ended']) {
      if (when === 'after the session ended') {
        await assist(agent, customer.id);
        await agent.api.ok(EndAssistingDocument, { input: { outcome: 'RESOLVED' } });
      }
      for (const [mutation, document, input] of actions(customer.id)) {
        const before = await fingerprintDatabase(server.dataSource);
        const error = await agent.api.fails(document, { input });
        expect([when, mutation, error.extensions?.code]).toEqual([when, mutation, 'FORBIDDEN']);
        expect(await fingerprintDatabase(server.dataSource)).toEqual(before);
      }
    }
  });

  it('A9: acting for another customer than the one assisted is FORBIDDEN and nothing is written', async () => {
    const [agent, assisted, other] = await Promise.all([
      newAgent(org),
      newCustomer(org),
      newCustomer(org),
    ]);
    await assist(agent, assisted.id);
    for (const [mutation, document, input] of actions(other.id)) {
      const before = await fingerprintDatabase(server.dataSource);
      const error = await agent.api.fails(document, { input });
      expect([mutation, error.extensions?.code]).toEqual([mutation, 'FORBIDDEN']);
      expect(error.message).toMatch(/another customer/);
      expect(await fingerprintDatabase(server.dataSource)).toEqual(before);
    }
    // A session for a caller who is not a customer yet allows no action on a customer either.
    await agent.api.ok(EndAssistingDocument, { input: { outcome: 'ESCALATED' } });
    await assist(agent, null);
    const error = await agent.api.fails(SubmitRequestDocument, {
      input: { customerId: other.id, service: 'Repairs', form: {} },
    });
    expect(error.extensions?.code).toBe('FORBIDDEN');
  });

  it('A4: two agents assisting the same customer at once each record their own requests, in their own session', async () => {
    const [ada, bo, customer] = await Promise.all([newAgent(org), newAgent(org), newCustomer(org)]);
    const [adaSession, boSession] = await Promise.all([
      assist(ada, customer.id),
      assist(bo, customer.id),
    ]);
    const [fromAda, fromBo] = await Promise.all(
      [ada, bo].map(
        async (member) =>
          (
            await member.api.ok(SubmitRequestDocument, {
              input: {
                customerId: customer.id,
                service: 'Repairs',
                form: { by: member.staff.name },
              },
            })
          ).submitRequest.request,
      ),
    );
    expect(fromAda).toMatchObject({
      assistedBy: { id: ada.staff.id },
      assistSession: { id: adaSession.id },
    });
    expect(fromBo).toMatchObject({
      assistedBy: { id: bo.staff.id },
      assistSession: { id: boSession.id },
    });
  });

  it('A4: registering a caller who is not a customer yet binds the assist session to the new customer', async () => {
    const agent = await newAgent(org);
    const session = await assist(agent, null);
    const { registerCustomer } = await agent.api.ok(RegisterCustomerDocument, {
      input: { name: 'Nina New', email: 'nina.new@example.com', phone: '+14155550177' },
    });
    const { me } = await agent.api.ok(MyActiveAssistDocument);
    expect(me?.activeAssist).toMatchObject({
      id: session.id,
      customer: { id: registerCustomer.customer.id, name: 'Nina New' },
    });
    // Now the agent acts for the customer just registered.
    await agent.api.ok(SubmitRequestDocument, {
      input: { customerId: registerCustomer.customer.id, service: 'Welcome pack', form: {} },
    });
    const { auditEvents } = await org.admin.api.ok(AuditEventsDocument, {
      filter: { kind: 'CUSTOMER_REGISTERED', subjectId: registerCustomer.customer.id },
    });
    expect(auditEvents.edges.map((e) => e.node)).toMatchObject([
      {
        actor: { id: agent.staff.id },
        onBehalfOf: { id: registerCustomer.customer.id },
        assistSession: { id: session.id },
      },
    ]);
    // Registering again, now that the session names a customer, is refused.
    const again = await agent.api.fails(RegisterCustomerDocument, {
      input: { name: 'Someone Else' },
    });
    expect(again.extensions?.code).toBe('FORBIDDEN');
  });

  it('A9: registering without an assist session is FORBIDDEN for staff, and nothing is written', async () => {
    const agent = await newAgent(org);
    const before = await fingerprintDatabase(server.dataSource);
    const error = await agent.api.fails(RegisterCustomerDocument, { input: { name: 'Nobody' } });
    expect(error.extensions?.code).toBe('FORBIDDEN');
    expect(await fingerprintDatabase(server.dataSource)).toEqual(before);
  });

  it("A4: an INTEGRATION key acting for the customer's own website records no assistant", async () => {
    const customer = await newCustomer(org);
    const { submitRequest } = await integration.ok(SubmitRequestDocument, {
      input: { customerId: customer.id, service: 'Repairs', form: { online: true } },
    });
    expect(submitRequest.request).toMatchObject({
      assisted: false,
      assistedBy: null,
      assistSession: null,
      recordedBy: { kind: 'API_KEY', name: 'Website' },
    });
    const { registerCustomer } = await integration.ok(RegisterCustomerDocument, {
      input: { name: 'Web Signup' },
    });
    const { auditEvents } = await org.admin.api.ok(AuditEventsDocument, {
      filter: { onBehalfOfId: registerCustomer.customer.id },
    });
    expect(auditEvents.edges.map((e) => e.node)).toMatchObject([
      { kind: 'CUSTOMER_REGISTERED', actor: { kind: 'API_KEY' }, assistSession: null },
    ]);
  });

  it('A4: a submitted form can no longer change (CONFLICT), and nothing is written', async () => {
    const [agent, customer] = await Promise.all([newAgent(org), newCustomer(org)]);
    await assist(agent, customer.id);
    const { submitForm } = await agent.api.ok(SubmitFormDocument, {
      input: { customerId: customer.id, service: 'Permit', form: { a: 1 } },
    });
    for (const document of [loose(SaveFormDocument), loose(SubmitFormDocument)]) {
      const before = await fingerprintDatabase(server.dataSource);
      const error = await agent.api.fails(document, {
        input: {
          customerId: customer.id,
          formId: submitForm.request.id,
          service: 'Permit',
          form: { a: 2 },
        },
      });
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'formId' });
      expect(await fingerprintDatabase(server.dataSource)).toEqual(before);
    }
  });

  it('A8: requests are filtered by whether they were assisted, by customer and by assisting staff member', async () => {
    const [ada, bo, customer, other] = await Promise.all([
      newAgent(org),
      newAgent(org),
      newCustomer(org),
      newCustomer(org),
    ]);
    const submit = (api: GraphQLClient, customerId: string, service: string) =>
      api.ok(SubmitRequestDocument, { input: { customerId, service, form: {} } });
    await assist(ada, customer.id);
    await submit(ada.api, customer.id, 'A8 one');
    await assist(bo, other.id);
    await submit(bo.api, other.id, 'A8 two');
    await submit(integration, customer.id, 'A8 three');
    const list = async (filter: Input) =>
      (
        await org.admin.api.ok(ServiceRequestsDocument, { first: 100, filter })
      ).serviceRequests.edges.map((e) => e.node.service);
    expect(await list({ customerId: customer.id })).toEqual(['A8 three', 'A8 one']);
    expect(await list({ customerId: customer.id, assisted: true })).toEqual(['A8 one']);
    expect(await list({ customerId: customer.id, assisted: false })).toEqual(['A8 three']);
    expect(await list({ assistedById: bo.staff.id })).toEqual(['A8 two']);
    expect(await list({ assistedById: ada.staff.id, customerId: other.id })).toEqual([]);
    expect(await list({ service: 'a8 TWO' })).toEqual(['A8 two']);
    const assisted = await list({ assisted: true });
    expect(assisted).toEqual(expect.arrayContaining(['A8 one', 'A8 two']));
    expect(assisted).not.toContain('A8 three');
  });

  it("A2: a customer's details list their recent requests, newest first, each telling whether it was assisted and by whom", async () => {
    const [agent, customer] = await Promise.all([
      newAgent(org, { name: 'Hal Helper' }),
      newCustomer(org),
    ]);
    await integration.ok(SubmitRequestDocument, {
      input: { customerId: customer.id, service: 'Own, online', form: {} },
    });
    await assist(agent, customer.id);
    await agent.api.ok(StartWorkflowDocument, {
      input: { customerId: customer.id, service: 'Assisted, by phone', data: {} },
    });
    // The customer's own channel (their website) reads the same truthful history.
    for (const api of [agent.api, integration]) {
      const { customer: read } = await api.ok(CustomerRecentRequestsDocument, {
        id: customer.id,
        first: 5,
      });
      expect(read.recentRequests.totalCount).toBe(2);
      expect(read.recentRequests.edges.map((e) => e.node)).toMatchObject([
        { service: 'Assisted, by phone', assisted: true, assistedBy: { name: 'Hal Helper' } },
        { service: 'Own, online', assisted: false, assistedBy: null },
      ]);
    }
  });

  it('A8: a page of requests with their customers, assistants and sessions costs as many SQL statements for 40 as for 5', async () => {
    const agents = await Promise.all([newAgent(org), newAgent(org), newAgent(org)]);
    const customers = await Promise.all(agents.map(() => newCustomer(org)));
    await Promise.all(agents.map((agent, i) => assist(agent, customers[i]!.id)));
    for (let i = 0; i < 40; i++) {
      const who = i % 4 === 3 ? null : (agents[i % 3] as Member);
      await (who?.api ?? integration).ok(SubmitRequestDocument, {
        input: { customerId: customers[i % 3]!.id, service: `N+1 ${i}`, form: {} },
      });
    }
    const counter = statementCounter(server.dataSource);
    const statementsFor = async (first: number) => {
      const before = counter.count;
      const { serviceRequests } = await org.admin.api.ok(ServiceRequestsDocument, { first });
      expect(serviceRequests.edges).toHaveLength(first);
      return counter.count - before;
    };
    const five = await statementsFor(5);
    expect(await statementsFor(40)).toBe(five);
    // authentication, the page, its count, customers, staff, assist sessions
    expect(five).toBeLessThanOrEqual(6);
  });

  it('auditEvents is for ADMIN only, and filters by actor, kind and time', async () => {
    const [agent, supervisor, customer] = await Promise.all([
      newAgent(org),
      newSupervisor(org),
      newCustomer(org),
    ]);
    for (const member of [agent, supervisor]) {
      const error = await member.api.fails(AuditEventsDocument, {});
      expect(error.extensions?.code).toBe('FORBIDDEN');
    }
    const before = new Date().toISOString();
    await assist(agent, customer.id);
    await agent.api.ok(EndAssistingDocument, { input: { outcome: 'ABANDONED' } });
    const { auditEvents } = await org.admin.api.ok(AuditEventsDocument, {
      filter: { actorId: agent.staff.id, from: before },
    });
    expect(auditEvents.edges.map((e) => e.node.kind)).toEqual(['ASSIST_ENDED', 'ASSIST_STARTED']);
    expect(auditEvents.edges[0]?.node.data).toMatchObject({ outcome: 'ABANDONED' });
    const ended = await org.admin.api.ok(AuditEventsDocument, {
      filter: { actorId: agent.staff.id, kind: 'ASSIST_ENDED', to: before },
    });
    expect(ended.auditEvents.totalCount).toBe(0);
  });
});

/** A mutation's document with its input loosened, for tables of cases. */
function loose<TData, TInput>(document: TypedDocumentNode<TData, { input: TInput }>) {
  return document as unknown as TypedDocumentNode<unknown, { input: Input }>;
}
