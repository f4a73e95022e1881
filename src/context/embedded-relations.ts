import type { DataSource } from 'typeorm';
import type { AccessPolicy } from '../authz/access-policy';
import type { PageEmbedding } from '../db/pagination';
import type { NestedSelection } from '../schema/nested-selection';
import type { Auth } from './auth';
import { attach } from './embedded-values';
import { type CountOf, PARENTS, type Plan, Planner } from './embedded-plan';

export { embeddedRelation, type EmbeddedPage } from './embedded-values';
export type { CountOf } from './embedded-plan';

/**
 * Relations built as JSON by Postgres in the statement of the page they hang from (issue 20,
 * the way PostGraphile answers a nested query): a page of 50 customers with their contacts,
 * three conversations each and their assignees is one statement, whose rows carry each
 * customer's relations as one JSON value, instead of one statement per relation (the loaders)
 * and a row per object to parse. Each relation here reads the same rows, in the same order, with
 * the same rules as its loader (`Loaders`): the visibility of conversations is the one function
 * of access.sql (`AccessPolicy.visibleConversations`), a helper in force is `activeHelper`. The
 * objects are arrays of the properties the query reads (`nested-selection.ts`), in a fixed
 * order, each read back into an entity as the loaders make them (timestamps as Postgres writes
 * them as text, through pg's parser; 64-bit numbers as text, as pg gives them).
 *
 * A field resolver takes its relation from its parent with `embeddedRelation`, and falls back
 * to its loader when the parent did not come with it.
 */

/**
 * Plans by data source (entity metadata is its own), selection (nested-selection.ts makes one
 * per field of a parsed document without variables: a document's plan lives as long as it does)
 * and parent type with the visibility rule's text.
 */
const plans = new WeakMap<DataSource, WeakMap<NestedSelection, Map<string, Plan | null>>>();

/**
 * Builds the embedded relations of one request's page (made by `Loaders.embedPage`): SQL with
 * named parameters (TypeORM's `:name`), and the readers that attach the parsed JSON to the
 * page's entities. The SQL and the readers are planned once per selection.
 */
export class EmbeddedRelations {
  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: Auth,
    private readonly access: AccessPolicy,
    private readonly countOf: CountOf,
  ) {}

  /** The page's embedding for `parent` entities selected as `selection`; null when none fits. */
  page(parent: Function, selection: NestedSelection | null): PageEmbedding | null {
    if (!selection?.relations.length) return null;
    const visible = this.access.visibleConversations(this.auth);
    let bySelection = plans.get(this.dataSource);
    if (!bySelection) plans.set(this.dataSource, (bySelection = new WeakMap()));
    let byParent = bySelection.get(selection);
    if (!byParent) bySelection.set(selection, (byParent = new Map()));
    const planKey = `${parent.name}\u0000${visible.from}`;
    let plan = byParent.get(planKey);
    if (plan === undefined)
      byParent.set(
        planKey,
        (plan = new Planner(this.dataSource, visible.from).plan(parent, selection)),
      );
    if (!plan) return null;
    const { readers, joins, byParents } = plan;
    const { countOf } = this;
    return {
      key: plan.key,
      parameters: Object.assign({}, plan.constants, visible.parameters, {
        embedOrg: this.auth.organizationId,
      }),
      joins: (parents) => {
        let named = byParents.get(parents);
        if (!named) {
          named = joins.map(({ sql, alias }) => ({ sql: sql.split(PARENTS).join(parents), alias }));
          byParents.set(parents, named);
        }
        return named;
      },
      attach: (node, row) => {
        for (let i = 0; i < readers.length; i++) {
          const { slot, args, column, read } = readers[i] as Plan['readers'][number];
          attach(node, slot, args, read(row[column], node, countOf));
        }
      },
    };
  }
}
