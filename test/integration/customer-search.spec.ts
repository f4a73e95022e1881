import { SearchCustomersDocument, type SearchCustomersQuery } from '../generated/graphql';
import type { Customer } from '../../src/entities/customer.entity';
import { searchStatement, searchTermsOf } from '../../src/services/assist/customer-search.queries';
import { newCustomer, newOrg, type Org } from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';

type Found = SearchCustomersQuery['searchCustomers']['edges'][number]['node'];

const FIRST = [
  'John',
  'Jon',
  'Joan',
  'Johan',
  'Jonathan',
  'Jane',
  'Maria',
  'Mario',
  'Marie',
  'Ann',
];
const LAST = [
  'Smith',
  'Smyth',
  'Smithe',
  'Schmidt',
  'Jones',
  'Johnson',
  'Johnston',
  'Garcia',
  'Garza',
];
const STREETS = [
  'Main Street',
  'High Street',
  'Baker Street',
  'Elm Road',
  'Oak Avenue',
  'Mill Lane',
];

describe('customer search', () => {
  let server: TestServer;
  let org: Org;
  /** The customers the cases look for, created through the API with numbers in several formats. */
  let john: Customer;
  let jonSmyth: Customer;
  let johnathan: Customer;
  let maria: Customer;

  beforeAll(async () => {
    server = await startTestServer({ config: { defaultPhoneCountry: 'US' } });
    org = await newOrg(server);
    // 1,000 customers, most of them near-duplicates of one another: every first name with
    // every last name, again and again, each with a number, an email and an address.
    await server.dataSource.query(
      `WITH seeded AS (
         INSERT INTO customer (organization_id, name, username, email, phone, postal_address)
         SELECT $1, f.name || ' ' || l.name, 'user' || g, 'user' || g || '@filler.test',
                '+1212' || lpad((g * 7)::text, 7, '0'),
                (g % 300 + 1) || ' ' || ($4::text[])[1 + g % array_length($4::text[], 1)] || ', Riverside'
           FROM generate_series(1, 1000) g
           CROSS JOIN LATERAL (SELECT ($2::text[])[1 + g % array_length($2::text[], 1)] AS name) f
           CROSS JOIN LATERAL (SELECT ($3::text[])[1 + (g / 10) % array_length($3::text[], 1)] AS name) l
         RETURNING id, organization_id, email, phone)
       INSERT INTO contact (organization_id, customer_id, kind, value)
       SELECT organization_id, id, 'EMAIL', email FROM seeded
       UNION ALL SELECT organization_id, id, 'PHONE', phone FROM seeded`,
      [org.id, FIRST, LAST, STREETS],
    );
    [john, jonSmyth, johnathan, maria] = await Promise.all([
      newCustomer(org, {
        name: 'John Smith',
        username: 'jsmith',
        email: 'John.Smith@Example.com',
        phone: '(415) 555-0100',
        postalAddress: '221B Baker Street, London',
      }),
      newCustomer(org, {
        name: 'Jon Smyth',
        username: 'jonsmyth',
        email: 'jon@smyth.example',
        phone: '+44 20 7946 0018',
        postalAddress: '12 Main Street, Springfield',
      }),
      newCustomer(org, {
        name: 'Johnathan Smithson',
        phone: '0033 1 42 68 53 00',
        postalAddress: '121 Main Street, Springfield',
      }),
      newCustomer(org, {
        name: 'Maria Garcia',
        username: 'mgarcia',
        email: 'maria@garcia.example',
        phone: '+1 415-555-0199',
        postalAddress: '1600 Pennsylvania Avenue, Washington',
      }),
    ]);
  });
  afterAll(() => server.stop());

  const search = async (query: string, first = 100, after?: string) =>
    (await org.admin.api.ok(SearchCustomersDocument, { query, first, after })).searchCustomers;
  const ids = (found: Found[]) => found.map((c) => c.id);
  const nodes = async (query: string, first = 100) =>
    (await search(query, first)).edges.map((e) => e.node);
  /** Every match, page after page. */
  const everything = async (query: string, first = 100) => {
    const found: Found[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await search(query, first, after);
      found.push(...page.edges.map((e) => e.node));
      expect(page.totalCount).toBeGreaterThanOrEqual(found.length);
      if (!page.pageInfo.hasNextPage) {
        expect(page.totalCount).toBe(found.length);
        return found;
      }
      after = page.pageInfo.endCursor as string;
    }
  };

  it('A1: an exact username, email or whole phone number finds that customer first, whatever the format', async () => {
    for (const query of [
      'jsmith',
      'JSMITH',
      'john.smith@example.com',
      ' John.Smith@EXAMPLE.com ',
      '+1 415 555 0100',
      '(415) 555-0100',
      '415.555.0100',
      '4155550100',
      '001 415 555 0100',
    ]) {
      const [first] = await nodes(query);
      expect([query, first?.id]).toEqual([query, john.id]);
    }
    expect((await nodes('+442079460018'))[0]?.id).toBe(jonSmyth.id);
    expect((await nodes('+33 1 42 68 53 00'))[0]?.id).toBe(johnathan.id);
  });

  it('A1: part of a phone number finds it: "555 01" finds +1 415 555 0100, and every match has those digits', async () => {
    const found = await nodes('555 01');
    expect(ids(found)).toEqual(expect.arrayContaining([john.id, maria.id]));
    const phones = (await server.dataSource.query(
      `SELECT customer_id, value FROM contact WHERE kind = 'PHONE' AND customer_id = ANY($1)`,
      [ids(found)],
    )) as Array<{ customer_id: string; value: string }>;
    for (const id of ids(found)) {
      expect(phones.some((p) => p.customer_id === id && p.value.includes('55501'))).toBe(true);
    }
    expect(ids(await nodes('0100'))).toContain(john.id);
  });

  it('A1: names rank exact first, then names or words starting with the query, then similar ones (typos, near-duplicates)', async () => {
    const found = await everything('john smith');
    const exact = found.filter((c) => c.name === 'John Smith');
    expect(exact.length).toBeGreaterThan(1);
    expect(ids(found.slice(0, exact.length))).toEqual(ids(exact));
    expect(ids(exact)).toContain(john.id);
    // Then the names it starts, then near-duplicates, the closest first.
    const names = [...new Set(found.map((c) => c.name))];
    expect(names.slice(0, 2)).toEqual(['John Smith', 'John Smithe']);
    expect(names).toEqual(expect.arrayContaining(['Jon Smith', 'John Smyth', 'Jon Smyth']));
    expect(names.indexOf('Jon Smith')).toBeLessThan(names.indexOf('Jon Smyth'));
    expect(names.indexOf('John Smyth')).toBeLessThan(names.indexOf('Jon Smyth'));
    expect(names).not.toContain('Maria Garcia');
    // Typing mistakes still find them.
    for (const typo of ['jonh smith', 'john smiht', 'jon smyth']) {
      expect([typo, ids(await everything(typo))]).toEqual([
        typo,
        expect.arrayContaining([john.id]),
      ]);
    }
    // A word of the name, and the start of one.
    const smithson = await nodes('smithso');
    expect(smithson[0]?.id).toBe(johnathan.id);
  });

  it('A1: a postal address is found by its words; whole words rank before words it only starts', async () => {
    const found = await nodes('12 Main St');
    expect(ids(found).slice(0, 1)).toEqual([jonSmyth.id]);
    expect(ids(found).indexOf(johnathan.id)).toBeGreaterThan(0);
    expect((await nodes('1600 pennsylvania'))[0]?.id).toBe(maria.id);
    expect((await nodes('221b baker street, london'))[0]?.id).toBe(john.id);
  });

  it('A1: pages follow the ranking with no gap and no repeat, and count every match', async () => {
    const whole = await everything('maria garcia', 100);
    expect(whole.length).toBeGreaterThan(100);
    const exact = whole.filter((c) => c.name === 'Maria Garcia');
    expect(ids(whole.slice(0, exact.length))).toEqual(ids(exact));
    expect(ids(exact)).toContain(maria.id);
    expect(new Set(ids(whole)).size).toBe(whole.length);
    // Pages of 7 (ties of score and name fall on page boundaries too) make the same list.
    expect(ids(await everything('maria garcia', 7))).toEqual(ids(whole));
  });

  it('A1: a query under 2 characters, or a cursor it did not hand out, is BAD_USER_INPUT', async () => {
    for (const query of ['j', '  ']) {
      const error = await org.admin.api.fails(SearchCustomersDocument, { query });
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
    }
    for (const after of ['nope', Buffer.from('[9,1,"x","y"]').toString('base64url')]) {
      const error = await org.admin.api.fails(SearchCustomersDocument, { query: 'smith', after });
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });

  it('A1: every kind of match is answered from an index (no table scan even where one would do)', async () => {
    const runner = server.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      // 1,000 rows are few enough for a scan to be cheaper; forbid it to see that none is needed.
      await runner.query('SET LOCAL enable_seqscan = off');
      for (const query of [
        'john smith',
        '555 01',
        '12 main st',
        'maria@garcia.example',
        'jsmith',
      ]) {
        const terms = searchTermsOf(query, 'US');
        const { text, values } = searchStatement(org.id, terms, null, 21);
        const plan = (
          (await runner.query(`EXPLAIN ${text}`, values)) as Array<{ 'QUERY PLAN': string }>
        )
          .map((row) => row['QUERY PLAN'])
          .join('\n');
        expect([query, plan]).toEqual([
          query,
          expect.not.stringMatching(/Seq Scan on (customer|contact)/),
        ]);
      }
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
