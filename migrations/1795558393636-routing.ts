import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * "Next available agent" (R8), decided where it must hold across instances: in one statement
 * that locks the agent's row, so that no two routers fill the same agent past capacity.
 */
const FUNCTIONS = `
-- Open conversations an agent holds in an inbox: what its capacity limits.
CREATE FUNCTION tandem_open_count(p_staff uuid, p_inbox uuid) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM conversation
   WHERE assignee_id = p_staff AND inbox_id = p_inbox AND status = 'OPEN' AND deleted_at IS NULL
$$;

-- A staff member is reachable while one of their windows is alive (not revoked, seen within the TTL).
CREATE FUNCTION tandem_staff_live(p_staff uuid, p_ttl interval) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM client_session s WHERE s.staff_id = p_staff AND s.revoked_at IS NULL
                    AND s.expires_at > now() AND s.last_seen_at >= now() - p_ttl)
$$;

-- Available (R8): active, online, not paused, reachable.
CREATE FUNCTION tandem_staff_available(p_staff uuid, p_ttl interval) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM staff s WHERE s.id = p_staff AND s.active AND s.status = 'ONLINE'
                    AND s.paused_at IS NULL AND tandem_staff_live(s.id, p_ttl))
$$;

-- The next available agent of an inbox (R8): a member, available, under the inbox's capacity;
-- fewest open conversations first, then the longest since their last assignment, then by id.
-- Returns the agent with their row locked until the caller's transaction ends, or NULL.
CREATE FUNCTION tandem_claim_agent(p_org uuid, p_inbox uuid, p_ttl interval) RETURNS uuid
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
    -- Counted again now the row is ours: this statement sees every assignment committed by
    -- whoever held the row before us.
    IF tandem_open_count(v_agent, p_inbox) < v_capacity THEN RETURN v_agent; END IF;
    v_tried := v_tried || v_agent;
  END LOOP;
END $$;
`;

const DROP_FUNCTIONS = [
  'tandem_claim_agent(uuid, uuid, interval)',
  'tandem_staff_available(uuid, interval)',
  'tandem_staff_live(uuid, interval)',
  'tandem_open_count(uuid, uuid)',
];

export class Routing1795558393636 implements MigrationInterface {
  name = 'Routing1795558393636';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "dedicated_hero" ("customer_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "agent_id" uuid, "inbox_id" uuid, "set_by_kind" character varying(16) NOT NULL, "set_by_id" uuid, "set_by_name" text NOT NULL, "set_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_dedicated_hero_one_target" CHECK ((agent_id IS NULL) <> (inbox_id IS NULL)), CONSTRAINT "pk_dedicated_hero" PRIMARY KEY ("customer_id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_dedicated_hero_agent_id" ON "dedicated_hero"  ("agent_id") `,
    );
    await runner.query(
      `CREATE TABLE "routing_decision" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "reason" character varying(48) NOT NULL, "assignee_id" uuid, "inbox_id" uuid NOT NULL, "decided_by_kind" character varying(16) NOT NULL, "decided_by_id" uuid, "decided_by_name" text NOT NULL, "note" text, CONSTRAINT "pk_routing_decision" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_routing_decision_conversation_id" ON "routing_decision"  ("conversation_id", "at") `,
    );
    await runner.query(`ALTER TABLE "inbox" ADD "agent_capacity" integer NOT NULL DEFAULT '5'`);
    await runner.query(`ALTER TABLE "staff" ADD "paused_at" TIMESTAMP(3) WITH TIME ZONE`);
    await runner.query(`ALTER TABLE "staff" ADD "pause_reason" text`);
    await runner.query(`ALTER TABLE "staff" ADD "last_assigned_at" TIMESTAMP(3) WITH TIME ZONE`);
    await runner.query(`ALTER TABLE "conversation" ADD "queued_at" TIMESTAMP(3) WITH TIME ZONE`);
    await runner.query(
      `CREATE INDEX "idx_conversation_queue" ON "conversation"  ("inbox_id", "queued_at", "id") WHERE status = 'OPEN' AND assignee_id IS NULL AND queued_at IS NOT NULL AND deleted_at IS NULL`,
    );
    await runner.query(
      `ALTER TABLE "inbox" ADD CONSTRAINT "chk_inbox_agent_capacity" CHECK (agent_capacity > 0)`,
    );
    await runner.query(
      `ALTER TABLE "dedicated_hero" ADD CONSTRAINT "fk_dedicated_hero_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "dedicated_hero" ADD CONSTRAINT "fk_dedicated_hero_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "dedicated_hero" ADD CONSTRAINT "fk_dedicated_hero_agent_id" FOREIGN KEY ("agent_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "dedicated_hero" ADD CONSTRAINT "fk_dedicated_hero_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "routing_decision" ADD CONSTRAINT "fk_routing_decision_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "routing_decision" ADD CONSTRAINT "fk_routing_decision_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(FUNCTIONS);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const fn of DROP_FUNCTIONS) await runner.query(`DROP FUNCTION ${fn}`);
    await runner.query(
      `ALTER TABLE "routing_decision" DROP CONSTRAINT "fk_routing_decision_conversation_id"`,
    );
    await runner.query(
      `ALTER TABLE "routing_decision" DROP CONSTRAINT "fk_routing_decision_organization_id"`,
    );
    await runner.query(`ALTER TABLE "dedicated_hero" DROP CONSTRAINT "fk_dedicated_hero_inbox_id"`);
    await runner.query(`ALTER TABLE "dedicated_hero" DROP CONSTRAINT "fk_dedicated_hero_agent_id"`);
    await runner.query(
      `ALTER TABLE "dedicated_hero" DROP CONSTRAINT "fk_dedicated_hero_organization_id"`,
    );
    await runner.query(
      `ALTER TABLE "dedicated_hero" DROP CONSTRAINT "fk_dedicated_hero_customer_id"`,
    );
    await runner.query(`ALTER TABLE "inbox" DROP CONSTRAINT "chk_inbox_agent_capacity"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_queue"`);
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "queued_at"`);
    await runner.query(`ALTER TABLE "staff" DROP COLUMN "last_assigned_at"`);
    await runner.query(`ALTER TABLE "staff" DROP COLUMN "pause_reason"`);
    await runner.query(`ALTER TABLE "staff" DROP COLUMN "paused_at"`);
    await runner.query(`ALTER TABLE "inbox" DROP COLUMN "agent_capacity"`);
    await runner.query(`DROP INDEX "public"."idx_routing_decision_conversation_id"`);
    await runner.query(`DROP TABLE "routing_decision"`);
    await runner.query(`DROP INDEX "public"."idx_dedicated_hero_agent_id"`);
    await runner.query(`DROP TABLE "dedicated_hero"`);
  }
}
