import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The next available agent (R8), ranked in one pass: the inbox's open conversations counted
 * per agent once, from an index of open assigned conversations, instead of a count (and a
 * liveness check) per member and per comparison. The agent's row is then locked and the count
 * taken again, as before: that recount is what keeps capacity exact under concurrent routers.
 */
export const CLAIM_AGENT = `
CREATE OR REPLACE FUNCTION tandem_claim_agent(p_org uuid, p_inbox uuid, p_ttl interval) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_capacity integer;
  v_candidate uuid;
BEGIN
  SELECT agent_capacity INTO v_capacity FROM inbox WHERE id = p_inbox AND organization_id = p_org;
  IF NOT FOUND THEN RETURN NULL; END IF;
  -- Available members under capacity: fewest open conversations first, then the longest since
  -- their last assignment, then by id.
  FOR v_candidate IN
    SELECT s.id
      FROM inbox_member m
      JOIN staff s ON s.id = m.staff_id
      LEFT JOIN (SELECT c.assignee_id, count(*) AS open FROM conversation c
                  WHERE c.inbox_id = p_inbox AND c.status = 'OPEN' AND c.assignee_id IS NOT NULL
                    AND c.deleted_at IS NULL
                  GROUP BY c.assignee_id) o ON o.assignee_id = s.id
     WHERE m.inbox_id = p_inbox AND s.organization_id = p_org
       AND s.active AND s.status = 'ONLINE' AND s.paused_at IS NULL
       AND coalesce(o.open, 0) < v_capacity
       AND EXISTS (SELECT 1 FROM client_session w WHERE w.staff_id = s.id AND w.revoked_at IS NULL
                      AND w.expires_at > now() AND w.last_seen_at >= now() - p_ttl)
     ORDER BY coalesce(o.open, 0), s.last_assigned_at NULLS FIRST, s.id
  LOOP
    -- Another router holding this agent is about to give them work: try the next one. Once the
    -- row is ours, the agent is checked and counted again: this statement sees every assignment
    -- committed by whoever held the row before us.
    PERFORM 1 FROM staff s
      WHERE s.id = v_candidate AND s.active AND s.status = 'ONLINE' AND s.paused_at IS NULL
      FOR UPDATE SKIP LOCKED;
    IF FOUND AND tandem_open_count(v_candidate, p_inbox) < v_capacity THEN RETURN v_candidate; END IF;
  END LOOP;
  RETURN NULL;
END $$;
`;

/** Before: each member counted and checked in the ranking itself. */
const CLAIM_AGENT_BEFORE = `
CREATE OR REPLACE FUNCTION tandem_claim_agent(p_org uuid, p_inbox uuid, p_ttl interval) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_capacity integer;
  v_agent uuid;
  v_tried uuid[] := '{}';
BEGIN
  SELECT agent_capacity INTO v_capacity FROM inbox WHERE id = p_inbox AND organization_id = p_org;
  IF NOT FOUND THEN RETURN NULL; END IF;
  LOOP
    SELECT s.id INTO v_agent
      FROM staff s JOIN inbox_member m ON m.staff_id = s.id AND m.inbox_id = p_inbox
     WHERE s.organization_id = p_org AND s.active AND s.status = 'ONLINE' AND s.paused_at IS NULL
       AND s.id <> ALL (v_tried) AND tandem_staff_live(s.id, p_ttl)
       AND tandem_open_count(s.id, p_inbox) < v_capacity
     ORDER BY tandem_open_count(s.id, p_inbox), s.last_assigned_at NULLS FIRST, s.id
     FOR UPDATE OF s SKIP LOCKED
     LIMIT 1;
    IF NOT FOUND THEN RETURN NULL; END IF;
    IF tandem_open_count(v_agent, p_inbox) < v_capacity THEN RETURN v_agent; END IF;
    v_tried := v_tried || v_agent;
  END LOOP;
END $$;
`;

export class RoutingClaimRanked1795560100000 implements MigrationInterface {
  name = 'RoutingClaimRanked1795560100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE INDEX "idx_conversation_open_by_agent" ON "conversation"  ("inbox_id", "assignee_id") WHERE status = 'OPEN' AND assignee_id IS NOT NULL AND deleted_at IS NULL`,
    );
    await runner.query(CLAIM_AGENT);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(CLAIM_AGENT_BEFORE);
    await runner.query(`DROP INDEX "public"."idx_conversation_open_by_agent"`);
  }
}
