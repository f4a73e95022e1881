import {
  AddContactDocument,
  CreateCustomerDocument,
  CustomerDocument,
  CustomersDocument,
  UpdateCustomerDocument,
} from '../generated/graphql';
import { newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

describe('customers and contacts', () => {
  let server: TestServer;
  let org: Org;

  beforeAll(async () => {
    server = await startTestServer();
    org = await newOrg(server);
  });
  afterAll(() => server.stop());

  it('normalizes phone numbers to E.164 and emails to lower case, and makes them contacts', async () => {
    const { createCustomer } = await org.admin.api.ok(CreateCustomerDocument, {
      input: {
        name: 'Ann',
        email: ' Ann@Example.COM ',
        phone: '+1 (415) 555-0199',
        postalAddress: '1 Main St',
      },
    });
    expect(createCustomer.customer).toMatchObject({
      email: 'ann@example.com',
      phone: '+14155550199',
      postalAddress: '1 Main St',
    });
    expect(createCustomer.customer.contacts.map((c) => [c.kind, c.value]).sort()).toEqual([
      ['EMAIL', 'ann@example.com'],
      ['PHONE', '+14155550199'],
    ]);
  });

  it('adds a contact once; the same number written differently is the same contact', async () => {
    const customer = await newCustomer(org);
    const first = await org.admin.api.ok(AddContactDocument, {
      input: { customerId: customer.id, kind: 'PHONE', value: '+44 20 7946 0958' },
    });
    const again = await org.admin.api.ok(AddContactDocument, {
      input: { customerId: customer.id, kind: 'PHONE', value: '+442079460958' },
    });
    expect(again.addContact.contact.id).toBe(first.addContact.contact.id);
    expect(first.addContact.contact.value).toBe('+442079460958');
  });

  it("refuses another customer's contact with CONFLICT", async () => {
    const [ann, bob] = await Promise.all([newCustomer(org), newCustomer(org)]);
    await org.admin.api.ok(AddContactDocument, {
      input: { customerId: ann.id, kind: 'EMAIL', value: 'shared@example.com' },
    });
    const error = await org.admin.api.fails(AddContactDocument, {
      input: { customerId: bob.id, kind: 'EMAIL', value: 'Shared@example.com' },
    });
    expect(error.extensions?.code).toBe('CONFLICT');
  });

  it('updates only the fields sent; null clears one', async () => {
    const customer = await newCustomer(org, { username: 'ann42', postalAddress: 'old address' });
    const { updateCustomer } = await org.admin.api.ok(UpdateCustomerDocument, {
      input: { customerId: customer.id, postalAddress: null, name: 'Ann B.' },
    });
    expect(updateCustomer.customer).toMatchObject({
      name: 'Ann B.',
      username: 'ann42',
      postalAddress: null,
    });
  });

  it('refuses a username another customer has', async () => {
    await newCustomer(org, { username: 'taken' });
    const error = await org.admin.api.fails(CreateCustomerDocument, {
      input: { name: 'Copy', username: 'taken' },
    });
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'username' });
  });

  it('lists customers by name, filtered by part of the name or email', async () => {
    const other = await newOrg(server);
    for (const name of ['Zoe Zed', 'Adam Ant', 'Mia Moe']) await newCustomer(other, { name });
    const { customers } = await other.admin.api.ok(CustomersDocument, { first: 10 });
    expect(customers.edges.map((e) => e.node.name)).toEqual(['Adam Ant', 'Mia Moe', 'Zoe Zed']);
    const filtered = await other.admin.api.ok(CustomersDocument, {
      first: 10,
      filter: { query: 'moe' },
    });
    expect(filtered.customers.edges.map((e) => e.node.name)).toEqual(['Mia Moe']);
    const literal = await other.admin.api.ok(CustomersDocument, {
      first: 10,
      filter: { query: '%' },
    });
    expect(literal.customers.totalCount).toBe(0);
  });

  it('reads one customer with contacts', async () => {
    const customer = await newCustomer(org, { email: 'one@example.com' });
    const { customer: read } = await org.admin.api.ok(CustomerDocument, { id: customer.id });
    expect(read.contacts).toEqual([{ kind: 'EMAIL', value: 'one@example.com' }]);
  });
});
