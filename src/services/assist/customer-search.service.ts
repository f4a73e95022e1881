import { isUUID } from 'class-validator';
import type { Config } from '../../config';
import type { Auth } from '../../context/auth';
import {
  decodeCursor,
  encodeCursor,
  type Page,
  type PageRequest,
  requirePageSize,
} from '../../db/pagination';
import { preparedQuery } from '../../db/prepared';
import { hydrate } from '../../db/rows';
import type { UnitOfWork } from '../../db/unit-of-work';
import { Customer } from '../../entities/customer.entity';
import { BadInputError } from '../../errors/domain-error';
import {
  MIN_QUERY_LENGTH,
  type SearchPosition,
  searchStatement,
  searchTermsOf,
} from './customer-search.queries';

interface SearchRow extends Record<string, unknown> {
  search_total: string;
  search_tier: number | null;
  search_score: number | null;
  id: string | null;
  name: string | null;
}

/** Finding the customer on the phone (A1): ranked, paged, one statement per page. */
export class CustomerSearchService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: Config,
  ) {}

  async search(auth: Auth, query: string, page: PageRequest): Promise<Page<Customer>> {
    requirePageSize(page.first);
    const terms = searchTermsOf(query, this.config.defaultPhoneCountry);
    if (terms.text.length < MIN_QUERY_LENGTH)
      throw new BadInputError('query', `Type at least ${MIN_QUERY_LENGTH} characters`);
    const after = page.after ? decodePosition(page.after) : null;
    const { text, values } = searchStatement(auth.organizationId, terms, after, page.first + 1);
    const rows = await preparedQuery<SearchRow>(this.uow.dataSource, text, values);
    const total = Number(rows[0]?.search_total ?? 0);
    const found = rows.filter((row) => row.id !== null);
    const onPage = found.slice(0, page.first);
    return {
      nodes: onPage.map((row) => hydrate(this.uow.dataSource, Customer, row)),
      cursors: onPage.map((row) =>
        encodeCursor([
          row.search_tier as number,
          row.search_score as number,
          row.name as string,
          row.id as string,
        ]),
      ),
      hasNextPage: found.length > page.first,
      totalCount: () => Promise.resolve(total),
    };
  }
}

function decodePosition(cursor: string): SearchPosition {
  const [tier, score, name, id, ...rest] = decodeCursor(cursor);
  if (
    rest.length ||
    !isIntegerBetween(tier, 0, 2) ||
    !isIntegerBetween(score, 0, 1_000_000) ||
    typeof name !== 'string' ||
    name.includes('\u0000') ||
    typeof id !== 'string' ||
    !isUUID(id)
  ) {
    throw new BadInputError('after', 'Not a cursor returned by this API');
  }
  return { tier: tier as number, score: score as number, name, id };
}

const isIntegerBetween = (value: unknown, min: number, max: number): boolean =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
