import { DataSource, type EntityManager } from 'typeorm';
import type { ActorRef } from '../../context/auth';
import { preparedQuery } from '../../db/prepared';
import { hydrate } from '../../db/rows';
import { AssistOutcome, AssistSession } from '../../entities/assist-session.entity';
import type { Channel } from '../../entities/enums';

type Executor = DataSource | EntityManager;
type Row = Record<string, unknown>;

const dataSourceOf = (executor: Executor): DataSource =>
  executor instanceof DataSource ? executor : executor.connection;

/** SQL condition for an assist session (alias `alias`) open now: not ended, not past its maximum. */
export function openAssist(alias: string): string {
  return `${alias}.ended_at IS NULL AND ${alias}.expires_at > now()`;
}

/** SQL condition for an open session past its maximum, which the expiry job has not ended yet. */
function overdue(alias: string): string {
  return `${alias}.ended_at IS NULL AND ${alias}.expires_at <= now()`;
}

/**
 * The columns of an assist session as every read sees them: one past its maximum has ended,
 * TIMED_OUT at its `expires_at`, by Tandem, even before the expiry job writes so.
 */
export function assistColumns(alias: string): string {
  const late = overdue(alias);
  return `${alias}.id, ${alias}.organization_id, ${alias}.staff_id, ${alias}.customer_id,
    ${alias}.channel, ${alias}.service, ${alias}.reason, ${alias}.started_from_session_id,
    ${alias}.started_at, ${alias}.expires_at, ${alias}.notes,
    CASE WHEN ${late} THEN ${alias}.expires_at ELSE ${alias}.ended_at END AS ended_at,
    CASE WHEN ${late} THEN '${AssistOutcome.TIMED_OUT}' ELSE ${alias}.outcome END AS outcome,
    CASE WHEN ${late} THEN 'SYSTEM' ELSE ${alias}.ended_by_kind END AS ended_by_kind,
    CASE WHEN ${late} THEN NULL ELSE ${alias}.ended_by_id END AS ended_by_id,
    CASE WHEN ${late} THEN 'Tandem' ELSE ${alias}.ended_by_name END AS ended_by_name`;
}

export interface NewAssistSession {
  organizationId: string;
  staffId: string;
  customerId: string | null;
  channel: Channel;
  service: string;
  reason: string | null;
  startedFromSessionId: string | null;
  maxMinutes: number;
}

export interface EndOptions {
  notes?: string | null;
  /** Instances ending due sessions at once split the work instead of waiting (the expiry job). */
  skipLocked?: boolean;
}

/** The statements on assist sessions: the only code that writes `assist_session`. */
export class AssistStore {
  /** Starts a session, unless the staff member has one open (then null: nothing written). */
  async insert(manager: EntityManager, values: NewAssistSession): Promise<AssistSession | null> {
    const [row] = (await manager.query(
      `INSERT INTO assist_session
         (organization_id, staff_id, customer_id, channel, service, reason, started_from_session_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8 * interval '1 minute')
       ON CONFLICT (staff_id) WHERE ended_at IS NULL DO NOTHING
       RETURNING *`,
      [
        values.organizationId,
        values.staffId,
        values.customerId,
        values.channel,
        values.service,
        values.reason,
        values.startedFromSessionId,
        values.maxMinutes,
      ],
    )) as Row[];
    return row ? hydrate(manager.connection, AssistSession, row) : null;
  }

  /** The staff member's open session, locked as asked for the rest of the transaction. */
  async openOf(
    manager: EntityManager,
    staffId: string,
    lock: 'FOR UPDATE' | 'FOR SHARE' | '' = '',
  ): Promise<AssistSession | null> {
    const [row] = (await manager.query(
      `SELECT a.* FROM assist_session a WHERE a.staff_id = $1 AND ${openAssist('a')} ${lock}`,
      [staffId],
    )) as Row[];
    return row ? hydrate(manager.connection, AssistSession, row) : null;
  }

  /**
   * Ends the sessions matching `where` (alias `a`, parameters from $1) with `outcome`. A
   * TIMED_OUT session ends at its maximum, any other now. Answers the sessions as ended.
   */
  async end(
    manager: EntityManager,
    where: string,
    parameters: unknown[],
    outcome: AssistOutcome,
    actor: ActorRef,
    { notes = null, skipLocked = false }: EndOptions = {},
  ): Promise<AssistSession[]> {
    const n = parameters.length;
    const result = (await manager.query(
      `UPDATE assist_session
          SET ended_at = CASE WHEN $${n + 1} = '${AssistOutcome.TIMED_OUT}' THEN expires_at ELSE now() END,
              outcome = $${n + 1}, notes = $${n + 2},
              ended_by_kind = $${n + 3}, ended_by_id = $${n + 4}, ended_by_name = $${n + 5}
        WHERE id IN (SELECT a.id FROM assist_session a WHERE ${where} AND a.ended_at IS NULL
                     ORDER BY a.id FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''})
        RETURNING *`,
      [...parameters, outcome, notes, actor.kind, actor.id, actor.name],
    )) as [Row[], number]; // TypeORM answers an UPDATE with [rows, count]
    return result[0].map((row) => hydrate(manager.connection, AssistSession, row));
  }

  /** Ends the staff members' sessions that are past their maximum (TIMED_OUT at their maximum). */
  endOverdue(manager: EntityManager, staffIds: string[], actor: ActorRef) {
    return this.end(
      manager,
      `a.staff_id = ANY($1) AND ${overdue('a')}`,
      [staffIds],
      AssistOutcome.TIMED_OUT,
      actor,
    );
  }

  /** Gives a session started without a customer the customer just registered. */
  async bindCustomer(
    manager: EntityManager,
    sessionId: string,
    customerId: string,
  ): Promise<AssistSession> {
    const result = (await manager.query(
      `UPDATE assist_session SET customer_id = $2 WHERE id = $1 RETURNING *`,
      [sessionId, customerId],
    )) as [Row[], number];
    return hydrate(manager.connection, AssistSession, result[0][0] as Row);
  }

  /** Sessions by id, as reads see them (see `assistColumns`). */
  async byIds(executor: Executor, organizationId: string, ids: readonly string[]) {
    return this.select(executor, `a.id = ANY($1) AND a.organization_id = $2`, [
      ids,
      organizationId,
    ]);
  }

  /** The open session of each staff member, if any. */
  async openOfStaff(executor: Executor, organizationId: string, staffIds: readonly string[]) {
    return this.select(
      executor,
      `a.staff_id = ANY($1) AND a.organization_id = $2 AND ${openAssist('a')}`,
      [staffIds, organizationId],
    );
  }

  /** The stream's last seq and the staff member's open session, read in one statement. */
  async snapshot(
    executor: Executor,
    stream: string,
    staffId: string,
  ): Promise<{ seq: number; session: AssistSession | null }> {
    const rows = await preparedQuery<Row & { seq: string; id: string | null }>(
      executor,
      `SELECT s.seq, a.* FROM (SELECT coalesce((SELECT last_seq FROM stream_seq WHERE stream = $1), 0) AS seq) s
         LEFT JOIN assist_session a ON a.staff_id = $2 AND ${openAssist('a')}`,
      [stream, staffId],
    );
    const [row] = rows;
    const dataSource = dataSourceOf(executor);
    return {
      seq: Number(row?.seq ?? 0),
      session: row?.id ? hydrate(dataSource, AssistSession, row) : null,
    };
  }

  private async select(executor: Executor, where: string, parameters: unknown[]) {
    const rows = await preparedQuery(
      executor,
      `SELECT ${assistColumns('a')} FROM assist_session a WHERE ${where}`,
      parameters,
    );
    const dataSource = dataSourceOf(executor);
    return rows.map((row) => hydrate(dataSource, AssistSession, row));
  }
}
