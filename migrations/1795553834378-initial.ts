import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795553834378 implements MigrationInterface {
  name = 'Initial1795553834378';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "inbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "channels" text array NOT NULL DEFAULT '{}', "is_default_voice" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_inbox" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_inbox_default_voice" ON "inbox"  ("organization_id") WHERE is_default_voice`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_inbox_organization_id_name" ON "inbox"  ("organization_id", "name") `,
    );
    await runner.query(
      `CREATE TABLE "organization" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "default_inbox_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_organization" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "role" character varying(16) NOT NULL, "secret_hash" text NOT NULL, "created_by_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_api_key" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_api_key_secret_hash" ON "api_key"  ("secret_hash") `,
    );
    await runner.query(
      `CREATE INDEX "idx_api_key_organization_id" ON "api_key"  ("organization_id") `,
    );
    await runner.query(
      `CREATE TABLE "audit_event" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "actor_kind" character varying(16) NOT NULL, "actor_id" uuid, "action" text NOT NULL, "subject_type" text NOT NULL, "subject_id" uuid, "data" jsonb NOT NULL DEFAULT '{}', "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_audit_event" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_audit_event_organization_id_at" ON "audit_event"  ("organization_id", "at") `,
    );
    await runner.query(
      `CREATE TABLE "staff" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "email" text NOT NULL, "password_hash" text NOT NULL, "role" character varying(16) NOT NULL, "active" boolean NOT NULL DEFAULT true, "status" character varying(16) NOT NULL DEFAULT 'OFFLINE', "default_inbox_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_staff" PRIMARY KEY ("id"))`,
    );
    await runner.query(`CREATE INDEX "idx_staff_organization_id" ON "staff"  ("organization_id") `);
    await runner.query(`CREATE UNIQUE INDEX "uq_staff_email" ON "staff"  ("email") `);
    await runner.query(
      `CREATE TABLE "client_session" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "parent_id" uuid, "kind" character varying(16) NOT NULL, "token_hash" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_reason" text, CONSTRAINT "pk_client_session" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_client_session_parent_id" ON "client_session"  ("parent_id") `,
    );
    await runner.query(
      `CREATE INDEX "idx_client_session_staff_id" ON "client_session"  ("staff_id") `,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_client_session_token_hash" ON "client_session"  ("token_hash") `,
    );
    await runner.query(
      `CREATE TABLE "customer" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "username" text, "email" text, "phone" text, "postal_address" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_activity_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_customer" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_customer_username" ON "customer"  ("organization_id", "username") WHERE username IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_customer_organization_id_name" ON "customer"  ("organization_id", "name", "id") `,
    );
    await runner.query(
      `CREATE TABLE "contact" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "value" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_contact" PRIMARY KEY ("id"))`,
    );
    await runner.query(`CREATE INDEX "idx_contact_customer_id" ON "contact"  ("customer_id") `);
    await runner.query(
      `CREATE UNIQUE INDEX "uq_contact_value" ON "contact"  ("organization_id", "kind", "value") `,
    );
    await runner.query(
      `CREATE TABLE "conversation" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "contact_id" uuid, "channel" character varying(16) NOT NULL, "inbox_id" uuid NOT NULL, "assignee_id" uuid, "status" character varying(16) NOT NULL DEFAULT 'OPEN', "direction" character varying(16) NOT NULL, "subject" text, "routing_reason" character varying(48), "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_message_at" TIMESTAMP(3) WITH TIME ZONE, "closed_at" TIMESTAMP(3) WITH TIME ZONE, "archived_at" TIMESTAMP(3) WITH TIME ZONE, "deleted_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_conversation" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_assignee_id" ON "conversation"  ("assignee_id", "status") `,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_inbox_id" ON "conversation"  ("inbox_id", "status") `,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_customer_id" ON "conversation"  ("customer_id", "created_at") `,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_organization_id_created_at" ON "conversation"  ("organization_id", "created_at", "id") `,
    );
    await runner.query(
      `CREATE TABLE "event_log" ("stream" text NOT NULL, "seq" bigint NOT NULL, "organization_id" uuid NOT NULL, "payload" jsonb NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_event_log" PRIMARY KEY ("stream", "seq"))`,
    );
    await runner.query(`CREATE INDEX "idx_event_log_at" ON "event_log"  ("at") `);
    await runner.query(
      `CREATE TABLE "stream_seq" ("stream" text NOT NULL, "last_seq" bigint NOT NULL DEFAULT '0', CONSTRAINT "pk_stream_seq" PRIMARY KEY ("stream"))`,
    );
    await runner.query(
      `CREATE TABLE "inbox_member" ("inbox_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "added_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_inbox_member" PRIMARY KEY ("inbox_id", "staff_id"))`,
    );
    await runner.query(`CREATE INDEX "idx_inbox_member_staff_id" ON "inbox_member"  ("staff_id") `);
    await runner.query(
      `CREATE TABLE "message" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "position" BIGSERIAL NOT NULL, "organization_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "direction" character varying(16) NOT NULL, "author_kind" character varying(16) NOT NULL, "author_id" uuid, "body" text NOT NULL, "delivery_state" character varying(16) NOT NULL, "provider_message_id" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_message" PRIMARY KEY ("id"))`,
    );
    await runner.query(`CREATE UNIQUE INDEX "uq_message_position" ON "message"  ("position") `);
    await runner.query(
      `CREATE INDEX "idx_message_conversation_id_position" ON "message"  ("conversation_id", "position") `,
    );
    await runner.query(
      `CREATE TABLE "sign_in_throttle" ("email" text NOT NULL, "failures" integer NOT NULL DEFAULT '0', "last_failure_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "blocked_until" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_sign_in_throttle" PRIMARY KEY ("email"))`,
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
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "message" DROP CONSTRAINT "fk_message_conversation_id"`);
    await runner.query(`ALTER TABLE "message" DROP CONSTRAINT "fk_message_organization_id"`);
    await runner.query(
      `ALTER TABLE "inbox_member" DROP CONSTRAINT "fk_inbox_member_organization_id"`,
    );
    await runner.query(`ALTER TABLE "inbox_member" DROP CONSTRAINT "fk_inbox_member_staff_id"`);
    await runner.query(`ALTER TABLE "inbox_member" DROP CONSTRAINT "fk_inbox_member_inbox_id"`);
    await runner.query(`ALTER TABLE "conversation" DROP CONSTRAINT "fk_conversation_assignee_id"`);
    await runner.query(`ALTER TABLE "conversation" DROP CONSTRAINT "fk_conversation_inbox_id"`);
    await runner.query(`ALTER TABLE "conversation" DROP CONSTRAINT "fk_conversation_contact_id"`);
    await runner.query(`ALTER TABLE "conversation" DROP CONSTRAINT "fk_conversation_customer_id"`);
    await runner.query(
      `ALTER TABLE "conversation" DROP CONSTRAINT "fk_conversation_organization_id"`,
    );
    await runner.query(`ALTER TABLE "contact" DROP CONSTRAINT "fk_contact_customer_id"`);
    await runner.query(`ALTER TABLE "contact" DROP CONSTRAINT "fk_contact_organization_id"`);
    await runner.query(`ALTER TABLE "customer" DROP CONSTRAINT "fk_customer_organization_id"`);
    await runner.query(
      `ALTER TABLE "client_session" DROP CONSTRAINT "fk_client_session_parent_id"`,
    );
    await runner.query(`ALTER TABLE "client_session" DROP CONSTRAINT "fk_client_session_staff_id"`);
    await runner.query(
      `ALTER TABLE "client_session" DROP CONSTRAINT "fk_client_session_organization_id"`,
    );
    await runner.query(`ALTER TABLE "staff" DROP CONSTRAINT "fk_staff_default_inbox_id"`);
    await runner.query(`ALTER TABLE "staff" DROP CONSTRAINT "fk_staff_organization_id"`);
    await runner.query(
      `ALTER TABLE "audit_event" DROP CONSTRAINT "fk_audit_event_organization_id"`,
    );
    await runner.query(`ALTER TABLE "api_key" DROP CONSTRAINT "fk_api_key_organization_id"`);
    await runner.query(
      `ALTER TABLE "organization" DROP CONSTRAINT "fk_organization_default_inbox_id"`,
    );
    await runner.query(`ALTER TABLE "inbox" DROP CONSTRAINT "fk_inbox_organization_id"`);
    await runner.query(`DROP TABLE "sign_in_throttle"`);
    await runner.query(`DROP INDEX "public"."idx_message_conversation_id_position"`);
    await runner.query(`DROP INDEX "public"."uq_message_position"`);
    await runner.query(`DROP TABLE "message"`);
    await runner.query(`DROP INDEX "public"."idx_inbox_member_staff_id"`);
    await runner.query(`DROP TABLE "inbox_member"`);
    await runner.query(`DROP TABLE "stream_seq"`);
    await runner.query(`DROP INDEX "public"."idx_event_log_at"`);
    await runner.query(`DROP TABLE "event_log"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_organization_id_created_at"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_customer_id"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_inbox_id"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_assignee_id"`);
    await runner.query(`DROP TABLE "conversation"`);
    await runner.query(`DROP INDEX "public"."uq_contact_value"`);
    await runner.query(`DROP INDEX "public"."idx_contact_customer_id"`);
    await runner.query(`DROP TABLE "contact"`);
    await runner.query(`DROP INDEX "public"."idx_customer_organization_id_name"`);
    await runner.query(`DROP INDEX "public"."uq_customer_username"`);
    await runner.query(`DROP TABLE "customer"`);
    await runner.query(`DROP INDEX "public"."uq_client_session_token_hash"`);
    await runner.query(`DROP INDEX "public"."idx_client_session_staff_id"`);
    await runner.query(`DROP INDEX "public"."idx_client_session_parent_id"`);
    await runner.query(`DROP TABLE "client_session"`);
    await runner.query(`DROP INDEX "public"."uq_staff_email"`);
    await runner.query(`DROP INDEX "public"."idx_staff_organization_id"`);
    await runner.query(`DROP TABLE "staff"`);
    await runner.query(`DROP INDEX "public"."idx_audit_event_organization_id_at"`);
    await runner.query(`DROP TABLE "audit_event"`);
    await runner.query(`DROP INDEX "public"."idx_api_key_organization_id"`);
    await runner.query(`DROP INDEX "public"."uq_api_key_secret_hash"`);
    await runner.query(`DROP TABLE "api_key"`);
    await runner.query(`DROP TABLE "organization"`);
    await runner.query(`DROP INDEX "public"."uq_inbox_organization_id_name"`);
    await runner.query(`DROP INDEX "public"."uq_inbox_default_voice"`);
    await runner.query(`DROP TABLE "inbox"`);
  }
}
