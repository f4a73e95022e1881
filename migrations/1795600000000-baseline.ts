import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The schema as of the squash of the first eleven migrations (no deployed database existed; a
 * database made before it must be recreated). DDL only: the SQL functions, trigger functions,
 * triggers and views live in the `.sql` files listed in `src/db/sql-definitions.ts`, applied
 * after the migrations by checksum (`src/db/migrate.ts`).
 */
export class Baseline1795600000000 implements MigrationInterface {
  name = 'Baseline1795600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "inbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "channels" text array NOT NULL DEFAULT '{}', "is_default_voice" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "agent_capacity" integer NOT NULL DEFAULT '5', CONSTRAINT "pk_inbox" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "organization" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "default_inbox_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_organization" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "role" character varying(16) NOT NULL, "secret_hash" text NOT NULL, "created_by_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_api_key" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "audit_event" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "actor_kind" character varying(16) NOT NULL, "actor_id" uuid, "action" text NOT NULL, "subject_type" text NOT NULL, "subject_id" uuid, "data" jsonb NOT NULL DEFAULT '{}', "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_audit_event" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "staff" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "email" text NOT NULL, "password_hash" text NOT NULL, "role" character varying(16) NOT NULL, "active" boolean NOT NULL DEFAULT true, "status" character varying(16) NOT NULL DEFAULT 'OFFLINE', "default_inbox_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "paused_at" TIMESTAMP(3) WITH TIME ZONE, "pause_reason" text, "last_assigned_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_staff" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "client_session" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "parent_id" uuid, "kind" character varying(16) NOT NULL, "token_hash" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_reason" text, "inbox_id" uuid, CONSTRAINT "pk_client_session" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "customer" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "username" text, "email" text, "phone" text, "postal_address" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_activity_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_customer" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "contact" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "value" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_contact" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "conversation" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "contact_id" uuid, "channel" character varying(16) NOT NULL, "inbox_id" uuid NOT NULL, "assignee_id" uuid, "status" character varying(16) NOT NULL DEFAULT 'OPEN', "direction" character varying(16) NOT NULL, "subject" text, "routing_reason" character varying(48), "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_message_at" TIMESTAMP(3) WITH TIME ZONE, "closed_at" TIMESTAMP(3) WITH TIME ZONE, "archived_at" TIMESTAMP(3) WITH TIME ZONE, "deleted_at" TIMESTAMP(3) WITH TIME ZONE, "queued_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_conversation" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "event_log" ("stream" text NOT NULL, "seq" bigint NOT NULL, "organization_id" uuid NOT NULL, "payload" jsonb NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_event_log" PRIMARY KEY ("stream", "seq"))`,
    );
    await runner.query(
      `CREATE TABLE "stream_seq" ("stream" text NOT NULL, "last_seq" bigint NOT NULL DEFAULT '0', CONSTRAINT "pk_stream_seq" PRIMARY KEY ("stream"))`,
    );
    await runner.query(
      `CREATE TABLE "inbox_member" ("inbox_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "added_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "open_count" integer NOT NULL DEFAULT '0', CONSTRAINT "pk_inbox_member" PRIMARY KEY ("inbox_id", "staff_id"))`,
    );
    await runner.query(
      `CREATE TABLE "message" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "position" BIGSERIAL NOT NULL, "organization_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "direction" character varying(16) NOT NULL, "author_kind" character varying(16) NOT NULL, "author_id" uuid, "body" text NOT NULL, "delivery_state" character varying(16) NOT NULL, "provider_message_id" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_message" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "sign_in_throttle" ("email" text NOT NULL, "failures" integer NOT NULL DEFAULT '0', "last_failure_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "blocked_until" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_sign_in_throttle" PRIMARY KEY ("email"))`,
    );
    await runner.query(
      `CREATE TABLE "ticket_lock" ("conversation_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "inbox_id" uuid NOT NULL, "session_id" uuid, "staff_id" uuid, "token" bigint NOT NULL DEFAULT '0', "acquired_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_ticket_lock" PRIMARY KEY ("conversation_id"))`,
    );
    await runner.query(
      `CREATE TABLE "helper_assignment" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "assigned_by_kind" character varying(16) NOT NULL, "assigned_by_id" uuid, "assigned_by_name" text NOT NULL, "assigned_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "until" TIMESTAMP(3) WITH TIME ZONE, "ended_at" TIMESTAMP(3) WITH TIME ZONE, "end_reason" character varying(16), "ended_by_kind" character varying(16), "ended_by_id" uuid, "ended_by_name" text, CONSTRAINT "pk_helper_assignment" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "dedicated_hero" ("customer_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "agent_id" uuid, "inbox_id" uuid, "set_by_kind" character varying(16) NOT NULL, "set_by_id" uuid, "set_by_name" text NOT NULL, "set_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_dedicated_hero_one_target" CHECK ((agent_id IS NULL) <> (inbox_id IS NULL)), CONSTRAINT "pk_dedicated_hero" PRIMARY KEY ("customer_id"))`,
    );
    await runner.query(
      `CREATE TABLE "routing_decision" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "reason" character varying(48) NOT NULL, "assignee_id" uuid, "inbox_id" uuid NOT NULL, "decided_by_kind" character varying(16) NOT NULL, "decided_by_id" uuid, "decided_by_name" text NOT NULL, "note" text, CONSTRAINT "pk_routing_decision" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "event_pending" ("id" BIGSERIAL NOT NULL, "stream" text NOT NULL, "organization_id" uuid NOT NULL, "payload" jsonb NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "pk_event_pending" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "sql_definition" ("file" text NOT NULL, "checksum" text NOT NULL, "applied_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_sql_definition" PRIMARY KEY ("file"))`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_inbox_default_voice" ON "inbox"  ("organization_id") WHERE is_default_voice`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_inbox_organization_id_name" ON "inbox"  ("organization_id", "name")`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_api_key_secret_hash" ON "api_key"  ("secret_hash")`,
    );
    await runner.query(
      `CREATE INDEX "idx_api_key_organization_id" ON "api_key"  ("organization_id")`,
    );
    await runner.query(
      `CREATE INDEX "idx_audit_event_organization_id_at" ON "audit_event"  ("organization_id", "at")`,
    );
    await runner.query(`CREATE INDEX "idx_staff_organization_id" ON "staff"  ("organization_id")`);
    await runner.query(`CREATE UNIQUE INDEX "uq_staff_email" ON "staff"  ("email")`);
    await runner.query(
      `CREATE INDEX "idx_client_session_parent_id" ON "client_session"  ("parent_id")`,
    );
    await runner.query(
      `CREATE INDEX "idx_client_session_staff_id" ON "client_session"  ("staff_id")`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_client_session_token_hash" ON "client_session"  ("token_hash")`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_customer_username" ON "customer"  ("organization_id", "username") WHERE username IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_customer_organization_id_name" ON "customer"  ("organization_id", "name", "id")`,
    );
    await runner.query(`CREATE INDEX "idx_contact_customer_id" ON "contact"  ("customer_id")`);
    await runner.query(
      `CREATE UNIQUE INDEX "uq_contact_value" ON "contact"  ("organization_id", "kind", "value")`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_assignee_id" ON "conversation"  ("assignee_id", "status")`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_inbox_id" ON "conversation"  ("inbox_id", "status")`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_customer_id" ON "conversation"  ("customer_id", "created_at")`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_organization_id_created_at" ON "conversation"  ("organization_id", "created_at", "id")`,
    );
    await runner.query(`CREATE INDEX "idx_event_log_at" ON "event_log"  ("at")`);
    await runner.query(`CREATE INDEX "idx_inbox_member_staff_id" ON "inbox_member"  ("staff_id")`);
    await runner.query(`CREATE UNIQUE INDEX "uq_message_position" ON "message"  ("position")`);
    await runner.query(
      `CREATE INDEX "idx_message_conversation_id_position" ON "message"  ("conversation_id", "position")`,
    );
    await runner.query(
      `CREATE INDEX "idx_ticket_lock_inbox_id" ON "ticket_lock"  ("inbox_id") WHERE session_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_ticket_lock_session_id" ON "ticket_lock"  ("session_id") WHERE session_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_helper_assignment_until" ON "helper_assignment"  ("until") WHERE ended_at IS NULL AND until IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_helper_assignment_customer_id" ON "helper_assignment"  ("customer_id", "assigned_at")`,
    );
    await runner.query(
      `CREATE INDEX "idx_helper_assignment_staff_id" ON "helper_assignment"  ("staff_id") WHERE ended_at IS NULL`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_helper_assignment_active" ON "helper_assignment"  ("customer_id", "staff_id") WHERE ended_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_dedicated_hero_agent_id" ON "dedicated_hero"  ("agent_id")`,
    );
    await runner.query(
      `CREATE INDEX "idx_routing_decision_conversation_id" ON "routing_decision"  ("conversation_id", "at")`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_queue" ON "conversation"  ("inbox_id", "queued_at", "id") WHERE status = 'OPEN' AND assignee_id IS NULL AND queued_at IS NOT NULL AND deleted_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_open_by_agent" ON "conversation"  ("inbox_id", "assignee_id") WHERE status = 'OPEN' AND assignee_id IS NOT NULL AND deleted_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_event_pending_stream" ON "event_pending"  ("stream", "id")`,
    );
    await runner.query(
      `ALTER TABLE "inbox" ADD CONSTRAINT "fk_inbox_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "organization" ADD CONSTRAINT "fk_organization_default_inbox_id" FOREIGN KEY ("default_inbox_id") REFERENCES "inbox"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "api_key" ADD CONSTRAINT "fk_api_key_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "audit_event" ADD CONSTRAINT "fk_audit_event_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "staff" ADD CONSTRAINT "fk_staff_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "staff" ADD CONSTRAINT "fk_staff_default_inbox_id" FOREIGN KEY ("default_inbox_id") REFERENCES "inbox"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "client_session" ADD CONSTRAINT "fk_client_session_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "client_session" ADD CONSTRAINT "fk_client_session_staff_id" FOREIGN KEY ("staff_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "client_session" ADD CONSTRAINT "fk_client_session_parent_id" FOREIGN KEY ("parent_id") REFERENCES "client_session"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "customer" ADD CONSTRAINT "fk_customer_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "contact" ADD CONSTRAINT "fk_contact_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "contact" ADD CONSTRAINT "fk_contact_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "conversation" ADD CONSTRAINT "fk_conversation_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "conversation" ADD CONSTRAINT "fk_conversation_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "conversation" ADD CONSTRAINT "fk_conversation_contact_id" FOREIGN KEY ("contact_id") REFERENCES "contact"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "conversation" ADD CONSTRAINT "fk_conversation_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "conversation" ADD CONSTRAINT "fk_conversation_assignee_id" FOREIGN KEY ("assignee_id") REFERENCES "staff"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "inbox_member" ADD CONSTRAINT "fk_inbox_member_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "inbox_member" ADD CONSTRAINT "fk_inbox_member_staff_id" FOREIGN KEY ("staff_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "inbox_member" ADD CONSTRAINT "fk_inbox_member_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "message" ADD CONSTRAINT "fk_message_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "message" ADD CONSTRAINT "fk_message_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "client_session" ADD CONSTRAINT "fk_client_session_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_session_id" FOREIGN KEY ("session_id") REFERENCES "client_session"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_staff_id" FOREIGN KEY ("staff_id") REFERENCES "staff"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "helper_assignment" ADD CONSTRAINT "fk_helper_assignment_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "helper_assignment" ADD CONSTRAINT "fk_helper_assignment_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "helper_assignment" ADD CONSTRAINT "fk_helper_assignment_staff_id" FOREIGN KEY ("staff_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
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
  }

  async down(runner: QueryRunner): Promise<void> {
    // One statement: the tables' foreign keys go with them. Without CASCADE, so that anything
    // still depending on them (an SQL definition not dropped first) stops it loudly.
    await runner.query(
      `DROP TABLE "sql_definition", "event_pending", "routing_decision", "dedicated_hero", "helper_assignment", "ticket_lock", "sign_in_throttle", "message", "inbox_member", "stream_seq", "event_log", "conversation", "contact", "customer", "client_session", "staff", "audit_event", "api_key", "organization", "inbox"`,
    );
  }
}
