import type { DataSource } from 'typeorm';
import { decodePosition, encodeCursor, type Page, requirePageSize } from '../../db/pagination';
import { preparedQuery } from '../../db/prepared';
import { hydrate } from '../../db/rows';
import { Conversation } from '../../entities/conversation.entity';
import type { Direction, InteractionState } from '../../entities/enums';

/** A conversation as the search reads it, with its state beside it. */
export type InteractionRecordRow = Conversation & { interactionState: InteractionState };

/** The search's conditions, already checked and normalized by the service. */
export interface RecordsQuery {
  organizationId: string;
  /** Only the interactions assigned to this staff member (agents and dispatchers). */
  onlyAssignedTo: string | null;
  from: Date | null;
  to: Date | null;
  /** The customer's number, E.164. */
  number: string | null;
  /** A LIKE pattern (its wildcards escaped), matched case-insensitively on the subject. */
  subjectPattern: string | null;
  campaignId: string | null;
  agentId: string | null;
  direction: Direction | null;
  state: InteractionState | null;
}

/** The state of the interaction `c`, as an SQL expression. */
export const STATE = `tandem_interaction_state(c.status, c.assignee_id, c.routing_reason)`;

/**
 * The recordings search (C15) in one statement: the organization's campaign interactions,
 * newest first, keyset paged on (created_at, id). Each filter given adds one condition; the
 * indexes of migration InteractionRecords serve the order (per organization, per agent, per
 * campaign, per number) and the subject. The only TypeScript naming recordings.sql's function.
 */
export class RecordsStore {
  constructor(private readonly dataSource: DataSource) {}

  async search(query: RecordsQuery, page: { first: number; after?: string | null }) {
    requirePageSize(page.first);
    const { where, values } = recordsWhere(query);
    const countWhere = [...where];
    const countValues = [...values];
    if (page.after) {
      const [at, id] = decodePosition(page.after, 'timestamp');
      values.push(at, id);
      where.push(`(c.created_at, c.id) < ($${values.length - 1}, $${values.length})`);
    }
    values.push(page.first + 1);
    // Each combination of filters is its own text: planned for its values each time (a generic
    // plan would not know how selective a date range or an agent is), so not prepared.
    const rows = (await this.dataSource.query(
      `SELECT c.*, ${STATE} AS interaction_state FROM conversation c
        WHERE ${where.join(' AND ')}
        ORDER BY c.created_at DESC, c.id DESC LIMIT $${values.length}`,
      values,
    )) as Array<Record<string, unknown>>;
    const nodes = rows.slice(0, page.first).map((row) => {
      const conversation = hydrate(this.dataSource, Conversation, row) as InteractionRecordRow;
      conversation.interactionState = row.interaction_state as InteractionState;
      return conversation;
    });
    return {
      nodes,
      cursors: nodes.map((node) => encodeCursor([node.createdAt.toISOString(), node.id])),
      hasNextPage: rows.length > page.first,
      totalCount: async () => {
        const [row] = (await this.dataSource.query(
          `SELECT count(*)::int AS n FROM conversation c WHERE ${countWhere.join(' AND ')}`,
          countValues,
        )) as Array<{ n: number }>;
        return row?.n ?? 0;
      },
    } satisfies Page<InteractionRecordRow>;
  }

  /** The state of each conversation (of the organization), by id: one statement. */
  async statesOf(organizationId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await preparedQuery<{ id: string; state: string }>(
      this.dataSource,
      `SELECT c.id, ${STATE} AS state FROM conversation c
        WHERE c.id = ANY($1) AND c.organization_id = $2`,
      [ids, organizationId],
    );
    return new Map(rows.map((row) => [row.id, row.state]));
  }
}

/**
 * The search's conditions on the interaction `c` (numbered parameters from $1, the
 * organization), a condition per filter given: shared with the benchmark's plain-pg baseline.
 */
export function recordsWhere(query: RecordsQuery): { where: string[]; values: unknown[] } {
  const values: unknown[] = [query.organizationId];
  const where = ['c.organization_id = $1', 'c.campaign_id IS NOT NULL', 'c.deleted_at IS NULL'];
  const add = (condition: (at: string) => string, value: unknown) => {
    values.push(value);
    where.push(condition(`$${values.length}`));
  };
  if (query.onlyAssignedTo) add((at) => `c.assignee_id = ${at}`, query.onlyAssignedTo);
  if (query.from) add((at) => `c.created_at >= ${at}`, query.from);
  if (query.to) add((at) => `c.created_at < ${at}`, query.to);
  if (query.number) {
    add(
      (at) =>
        `c.contact_id IN (SELECT k.id FROM contact k
           WHERE k.organization_id = $1 AND k.kind = 'PHONE' AND k.value = ${at})`,
      query.number,
    );
  }
  if (query.subjectPattern) add((at) => `lower(c.subject) LIKE lower(${at})`, query.subjectPattern);
  if (query.campaignId) add((at) => `c.campaign_id = ${at}`, query.campaignId);
  if (query.agentId) add((at) => `c.assignee_id = ${at}`, query.agentId);
  if (query.direction) add((at) => `c.direction = ${at}`, query.direction);
  if (query.state) add((at) => `${STATE} = ${at}`, query.state);
  return { where, values };
}
