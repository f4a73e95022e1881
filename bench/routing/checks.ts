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

/** What the database's backends were doing, sampled: how many samples saw each state. */
export interface WaitSamples {
  samples: number;
  /** State (running, a wait event, idle in a transaction) → samples. */
  states: Record<string, number>;
  /** State and the statement the backend runs (its shape, see `shape`) → samples. */
  statements: Record<string, number>;
}

/**
 * Samples `pg_stat_activity` for the benchmark's database every `everyMs` until stopped:
 * which backends run (on CPU), wait for a lock (and which kind), or sit idle in a transaction
 * while the server (Node) works out its next statement, and which statement each one runs.
 */
export function sampleWaits(
  client: Client,
  database: string,
  shape: (sql: string) => string,
  everyMs = 20,
): { stop(): Promise<WaitSamples> } {
  const result: WaitSamples = { samples: 0, states: {}, statements: {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ what: string; query: string }>(
        `SELECT CASE
                  WHEN backend_type = 'autovacuum worker' THEN 'autovacuum worker'
                  WHEN state = 'active' AND wait_event_type IS NULL THEN 'running (CPU)'
                  WHEN state = 'active' THEN wait_event_type || ': ' || wait_event
                  ELSE 'idle in transaction (waiting for the server)'
                END AS what, query
           FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid()
            AND (state IN ('active', 'idle in transaction') OR backend_type <> 'client backend')
            AND backend_type IN ('client backend', 'autovacuum worker')`,
        [database],
      );
      result.samples += 1;
      for (const row of rows) {
        result.states[row.what] = (result.states[row.what] ?? 0) + 1;
        const key = `${row.what} | ${row.what.startsWith('autovacuum') ? row.query.slice(0, 60) : shape(row.query)}`;
        result.statements[key] = (result.statements[key] ?? 0) + 1;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return result;
    },
  };
}

/** Names a process of the Postgres cluster from its command line (its process title). */
export function postgresKind(database: string): (commandLine: string) => string {
  return (commandLine) => {
    if (commandLine.includes('autovacuum worker')) return 'autovacuum workers';
    if (commandLine.includes(database)) return "backends (the servers' connections)";
    const title = commandLine.match(/^postgres: (.*)$/)?.[1];
    return title ? title.replace(/\s*\d+\s*$/, '').trim() : 'postmaster';
  };
}

export interface FunctionStat {
  name: string;
  calls: number;
  /** Milliseconds in the function and what it calls, and in its own body. */
  totalMs: number;
  selfMs: number;
}

/**
 * Calls and time of our SQL functions (`track_functions = 'all'`, set on the database before
 * the servers connect); read after the servers stopped, when their backends have reported.
 */
export async function functionStats(client: Client): Promise<FunctionStat[]> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query<{
    name: string;
    calls: string;
    total: number;
    self: number;
  }>(
    `SELECT funcname AS name, calls, total_time AS total, self_time AS self
       FROM pg_stat_user_functions WHERE funcname LIKE 'tandem\\_%' ORDER BY total_time DESC`,
  );
  return rows.map((row) => ({
    name: row.name,
    calls: Number(row.calls),
    totalMs: row.total,
    selfMs: row.self,
  }));
}
