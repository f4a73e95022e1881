import type { DataSource } from 'typeorm';
import { searchStatement, searchTermsOf } from '../../src/services/assist/customer-search.queries';
import type { SearchCase } from './queries';

export interface PlanFigure {
  kind: string;
  /** Customers the statement ranked (its totalCount). */
  matches: number[];
  /** Postgres execution time of the statement alone (EXPLAIN ANALYZE, the best of three). */
  executionMs: number[];
  indexes: Set<string>;
  /** Tables read whole (none where the indexes narrow the search). */
  scans: Set<string>;
  /** The queries planned with a table read whole, and how many customers each matched. */
  scanned: Array<{ query: string; matches: number }>;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/**
 * The search statement of every case as Postgres runs it, alone: its plan (which indexes, any
 * table read whole) and its execution time, grouped by kind of query.
 */
export async function explainSearches(
  dataSource: DataSource,
  organizationId: string,
  cases: SearchCase[],
): Promise<PlanFigure[]> {
  const byKind = new Map<string, PlanFigure>();
  for (const { kind, query } of cases) {
    const { text, values } = searchStatement(organizationId, searchTermsOf(query), null, 21);
    let best = Number.POSITIVE_INFINITY;
    let plan: PlanNode | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const [row] = (await dataSource.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        values,
      )) as Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }>;
      const [explained] = row?.['QUERY PLAN'] ?? [];
      if (explained && explained['Execution Time'] < best) {
        best = explained['Execution Time'];
        plan = explained.Plan;
      }
    }
    const [{ total }] = (await dataSource.query(
      `SELECT search_total AS total FROM (${text}) s LIMIT 1`,
      values,
    )) as Array<{ total: string }>;
    const figure =
      byKind.get(kind) ??
      byKind
        .set(kind, {
          kind,
          matches: [],
          executionMs: [],
          indexes: new Set(),
          scans: new Set(),
          scanned: [],
        })
        .get(kind)!;
    figure.matches.push(Number(total));
    figure.executionMs.push(best);
    let scanned = false;
    walk(plan as PlanNode, (node) => {
      if (node['Index Name']) figure.indexes.add(node['Index Name']);
      if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) {
        figure.scans.add(node['Relation Name']);
        scanned = true;
      }
    });
    if (scanned) figure.scanned.push({ query, matches: Number(total) });
  }
  return [...byKind.values()];
}
