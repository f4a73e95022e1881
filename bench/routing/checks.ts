import { Client } from 'pg';

/**
 * Records, inside every transaction that writes a conversation (a deferred constraint trigger
 * runs at its commit, with the agent's row still locked by a router), any agent holding more
 * OPEN conversations of the inbox than its capacity: a check at every commit, not only between
 * steps. The idea of test/realtime/routing-cluster.spec.ts, on tables of the benchmark's own.
 */
export async function installCapacityWatch(client: Client): Promise<void> {
  await client.query(`
    CREATE TABLE bench_capacity_violation (conversation_id uuid, assignee_id uuid, open bigint,
      at timestamptz DEFAULT clock_timestamp());
    CREATE FUNCTION bench_record_capacity_violation() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE v_open bigint;
    BEGIN
      IF NEW.assignee_id IS NOT NULL AND NEW.status = 'OPEN' THEN
        -- tandem_open_count's query, written out so that its call statistics stay the server's.
        SELECT count(*) INTO v_open FROM conversation
         WHERE assignee_id = NEW.assignee_id AND inbox_id = NEW.inbox_id AND status = 'OPEN'
           AND deleted_at IS NULL;
        IF v_open > (SELECT agent_capacity FROM inbox WHERE id = NEW.inbox_id) THEN
          INSERT INTO bench_capacity_violation (conversation_id, assignee_id, open)
          VALUES (NEW.id, NEW.assignee_id, v_open);
        END IF;
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER bench_capacity_watch AFTER INSERT OR UPDATE ON conversation
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_record_capacity_violation();
  `);
}

export interface QueueState {
  /** Waiting in the inbox's queue. */
  waiting: number;
  /** Open and assigned. */
  held: number;
  /** The most open conversations one agent holds in the inbox right now. */
  mostHeld: number;
}

/** One look at the inbox (a per-step check of capacity, besides the trigger). */
export async function queueState(client: Client, inboxId: string): Promise<QueueState> {
  const { rows } = await client.query<QueueState>(
    `SELECT (SELECT count(*)::int FROM conversation WHERE inbox_id = $1 AND status = 'OPEN'
               AND assignee_id IS NULL AND queued_at IS NOT NULL AND deleted_at IS NULL) AS waiting,
            (SELECT count(*)::int FROM conversation WHERE inbox_id = $1 AND status = 'OPEN'
               AND assignee_id IS NOT NULL) AS held,
            (SELECT coalesce(max(n), 0)::int FROM (SELECT count(*) AS n FROM conversation
               WHERE inbox_id = $1 AND status = 'OPEN' AND assignee_id IS NOT NULL
               AND deleted_at IS NULL GROUP BY assignee_id) per_agent) AS "mostHeld"`,
    [inboxId],
  );
  return rows[0] as QueueState;
}

export interface RoutedSpan {
  count: number;
  first: Date | null;
  last: Date | null;
  /** By reason (FROM_QUEUE, NEXT_AVAILABLE...). */
  reasons: Record<string, number>;
}

/** Routing decisions with an assignee in the inbox since `since`. */
export async function routedSince(
  client: Client,
  inboxId: string,
  since: Date,
): Promise<RoutedSpan> {
  const { rows } = await client.query<{ reason: string; n: number; first: Date; last: Date }>(
    `SELECT reason, count(*)::int AS n, min(at) AS first, max(at) AS last FROM routing_decision
      WHERE inbox_id = $1 AND assignee_id IS NOT NULL AND at >= $2 GROUP BY reason`,
    [inboxId, since],
  );
  const firsts = rows.map((row) => row.first.getTime());
  const lasts = rows.map((row) => row.last.getTime());
  return {
    count: rows.reduce((sum, row) => sum + row.n, 0),
    first: rows.length ? new Date(Math.min(...firsts)) : null,
    last: rows.length ? new Date(Math.max(...lasts)) : null,
    reasons: Object.fromEntries(rows.map((row) => [row.reason, row.n])),
  };
}

export interface Invariants {
  /** Routing decisions with an assignee, over the whole run. */
  routings: number;
  /** Conversations given an assignee by more than one decision. */
  doubleAssignments: number;
  /** Rows the commit-time trigger recorded. */
  capacityViolations: number;
  /** Conversations left open (queued or held) at the end. */
  leftOpen: number;
  conversations: number;
}

export async function finalInvariants(client: Client, inboxId: string): Promise<Invariants> {
  const { rows } = await client.query<Invariants>(
    `SELECT (SELECT count(*)::int FROM routing_decision WHERE inbox_id = $1
               AND assignee_id IS NOT NULL) AS routings,
            (SELECT count(*)::int FROM (SELECT conversation_id FROM routing_decision
               WHERE inbox_id = $1 AND assignee_id IS NOT NULL
               GROUP BY conversation_id HAVING count(*) > 1) twice) AS "doubleAssignments",
            (SELECT count(*)::int FROM bench_capacity_violation) AS "capacityViolations",
            (SELECT count(*)::int FROM conversation WHERE inbox_id = $1 AND status = 'OPEN')
              AS "leftOpen",
            (SELECT count(*)::int FROM conversation WHERE inbox_id = $1) AS conversations`,
    [inboxId],
  );
  return rows[0] as Invariants;
}
