import type { MigrationInterface, QueryRunner } from 'typeorm';
// Before: the ranking counted the inbox's open conversations.
import { CLAIM_AGENT as CLAIM_AGENT_BEFORE } from './1795560100000-routing-claim-ranked';

/**
 * R8 ranks an inbox's members by the open conversations each holds there. Counting them took a
 * pass over every open conversation of the inbox for every routing (5,000 rows for 50 agents
 * of capacity 100); the count is now kept per member, by triggers in the transactions that
 * change it, and the ranking reads the members' rows. The chosen agent is still counted from
 * the conversations themselves once their row is locked: capacity stays exact even if a
 * member's count were ever off.
 */
const TRIGGERS = `
-- A conversation that starts, stops or moves being open and assigned changes its assignee's count
-- in its inbox (members only: others have no row, and are counted when they join).
CREATE FUNCTION tandem_track_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_was boolean := TG_OP <> 'INSERT' AND OLD.status = 'OPEN' AND OLD.assignee_id IS NOT NULL AND OLD.deleted_at IS NULL;
  v_is boolean := TG_OP <> 'DELETE' AND NEW.status = 'OPEN' AND NEW.assignee_id IS NOT NULL AND NEW.deleted_at IS NULL;
BEGIN
  IF v_was AND v_is AND OLD.inbox_id = NEW.inbox_id AND OLD.assignee_id = NEW.assignee_id THEN RETURN NULL; END IF;
  IF v_was THEN
    UPDATE inbox_member SET open_count = open_count - 1 WHERE inbox_id = OLD.inbox_id AND staff_id = OLD.assignee_id;
  END IF;
  IF v_is THEN
    UPDATE inbox_member SET open_count = open_count + 1 WHERE inbox_id = NEW.inbox_id AND staff_id = NEW.assignee_id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER conversation_open_count AFTER INSERT OR DELETE OR UPDATE OF status, assignee_id, inbox_id, deleted_at
  ON conversation FOR EACH ROW EXECUTE FUNCTION tandem_track_open_count();

-- A new member starts with what they already hold in the inbox.
CREATE FUNCTION tandem_member_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.open_count := tandem_open_count(NEW.staff_id, NEW.inbox_id);
  RETURN NEW;
END $$;

CREATE TRIGGER inbox_member_open_count BEFORE INSERT ON inbox_member
  FOR EACH ROW EXECUTE FUNCTION tandem_member_open_count();
`;

/** R8 from the members' counts; the chosen agent recounted under their row lock. */
const CLAIM_AGENT = `
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
     WHERE m.inbox_id = p_inbox AND s.organization_id = p_org
       AND s.active AND s.status = 'ONLINE' AND s.paused_at IS NULL
       AND m.open_count < v_capacity
       AND EXISTS (SELECT 1 FROM client_session w WHERE w.staff_id = s.id AND w.revoked_at IS NULL
                      AND w.expires_at > now() AND w.last_seen_at >= now() - p_ttl)
     ORDER BY m.open_count, s.last_assigned_at NULLS FIRST, s.id
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

export class OpenCountPerMember1795560300000 implements MigrationInterface {
  name = 'OpenCountPerMember1795560300000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "inbox_member" ADD "open_count" integer NOT NULL DEFAULT '0'`);
    await runner.query(TRIGGERS);
    await runner.query(
      'UPDATE inbox_member SET open_count = tandem_open_count(staff_id, inbox_id)',
    );
    await runner.query(CLAIM_AGENT);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(CLAIM_AGENT_BEFORE);
    await runner.query('DROP TRIGGER inbox_member_open_count ON inbox_member');
    await runner.query('DROP FUNCTION tandem_member_open_count()');
    await runner.query('DROP TRIGGER conversation_open_count ON conversation');
    await runner.query('DROP FUNCTION tandem_track_open_count()');
    await runner.query(`ALTER TABLE "inbox_member" DROP COLUMN "open_count"`);
  }
}
