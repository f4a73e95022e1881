import type { DataSource } from 'typeorm';

/** What an agent types into the search box, by kind, each a few times over different customers. */
export interface SearchCase {
  kind: string;
  query: string;
}

export const SEARCH_KINDS = [
  'full name',
  'name with a typo',
  'surname',
  'start of a surname',
  'email',
  'username',
  'phone, E.164',
  'phone, national format',
  'part of a number',
  'street address',
] as const;

/** A typing mistake: two letters of the surname swapped. */
function typo(name: string): string {
  const space = name.lastIndexOf(' ');
  const at = Math.min(name.length - 2, space + 3);
  return `${name.slice(0, at)}${name[at + 1]}${name[at]}${name.slice(at + 2)}`;
}

/** +12000000079 as an American writes it: (200) 000-0079. */
function national(e164: string): string {
  const digits = e164.slice(2);
  return `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
}

/** The cases, from `samples` customers spread over the table (the same ones every run: by number). */
export async function searchCases(
  dataSource: DataSource,
  organizationId: string,
  samples: number,
): Promise<SearchCase[]> {
  const customers = (await dataSource.query(
    `SELECT name, username, email, phone, postal_address FROM customer
      WHERE organization_id = $1 ORDER BY phone LIMIT $2`,
    [organizationId, samples * 997],
  )) as Array<{
    name: string;
    username: string;
    email: string;
    phone: string;
    postal_address: string;
  }>;
  const picked = customers.filter((_, index) => index % 997 === 0).slice(0, samples);
  return picked.flatMap((c) => {
    const surname = c.name.slice(c.name.lastIndexOf(' ') + 1);
    const street = c.postal_address.split(',')[0] as string;
    return [
      { kind: 'full name', query: c.name },
      { kind: 'name with a typo', query: typo(c.name) },
      { kind: 'surname', query: surname },
      { kind: 'start of a surname', query: surname.slice(0, 4) },
      { kind: 'email', query: c.email },
      { kind: 'username', query: c.username },
      { kind: 'phone, E.164', query: c.phone },
      { kind: 'phone, national format', query: national(c.phone) },
      { kind: 'part of a number', query: `${c.phone.slice(-5, -3)} ${c.phone.slice(-3)}` },
      { kind: 'street address', query: street },
    ];
  });
}

/** The GraphQL document of ours; the baseline answers its shape. */
export const SEARCH_DOCUMENT =
  'query Search($q: String!) { searchCustomers(query: $q, first: 20) { totalCount ' +
  'edges { cursor node { id name username email phone postalAddress } } } }';

export const REPORT_GROUPS = ['SERVICE', 'CHANNEL', 'AGENT', 'OUTCOME'] as const;

export const REPORT_DOCUMENT =
  'query Report($from: LocalDate!, $to: LocalDate!, $groupBy: AssistReportGroup!) { ' +
  'assistReport(input: { from: $from, to: $to, groupBy: $groupBy }) { timeZone ' +
  'lines { key sessions totalSeconds averageSeconds } totals { sessions totalSeconds averageSeconds } } }';
