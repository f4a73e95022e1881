import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Assisted service (A1–A9): assist sessions, service requests, both people on audit events, the
 * organization's time zone, and the indexes customer search ranks with (pg_trgm ships with
 * PostgreSQL; its GIN indexes answer LIKE prefixes, partial phone numbers and similarity).
 */
export class AssistedService1796200000000 implements MigrationInterface {
  name = 'AssistedService1796200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await runner.query(
      `CREATE INDEX "idx_customer_name_trgm" ON "customer" USING gin (lower(name) gin_trgm_ops)`,
    );
    await runner.query(
      `CREATE INDEX "idx_customer_username_trgm" ON "customer" USING gin (lower(username) gin_trgm_ops)`,
    );
    await runner.query(
      `CREATE INDEX "idx_customer_postal_address_words" ON "customer" USING gin (to_tsvector('simple', coalesce(postal_address, '')))`,
    );
    await runner.query(
      `CREATE INDEX "idx_contact_value_trgm" ON "contact" USING gin (value gin_trgm_ops)`,
    );
    await runner.query(
      `CREATE TABLE "assist_session" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "customer_id" uuid, "channel" character varying(16) NOT NULL, "service" text NOT NULL, "reason" text, "started_from_session_id" uuid, "started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "ended_at" TIMESTAMP(3) WITH TIME ZONE, "outcome" character varying(16), "notes" text, "ended_by_kind" character varying(16), "ended_by_id" uuid, "ended_by_name" text, CONSTRAINT "pk_assist_session" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_assist_session_expires_at" ON "assist_session"  ("expires_at") WHERE ended_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_assist_session_customer_id" ON "assist_session"  ("customer_id") `,
    );
    await runner.query(
      `CREATE INDEX "idx_assist_session_staff_id_started_at" ON "assist_session"  ("staff_id", "started_at") `,
    );
    await runner.query(
      `CREATE INDEX "idx_assist_session_report" ON "assist_session" ("organization_id", "started_at") INCLUDE ("staff_id", "service", "channel", "outcome", "ended_at", "expires_at")`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_assist_session_open" ON "assist_session"  ("staff_id") WHERE ended_at IS NULL`,
    );
    await runner.query(
      `CREATE TABLE "service_request" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "service" text NOT NULL, "status" character varying(16) NOT NULL, "data" jsonb NOT NULL, "assisted_by_id" uuid, "assist_session_id" uuid, "recorded_by_kind" character varying(16) NOT NULL, "recorded_by_id" uuid, "recorded_by_name" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "submitted_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_service_request" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_service_request_assist_session_id" ON "service_request"  ("assist_session_id") WHERE assist_session_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_service_request_assisted_by_id" ON "service_request"  ("assisted_by_id", "created_at") WHERE assisted_by_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_service_request_organization_id_created_at" ON "service_request"  ("organization_id", "created_at", "id") `,
    );
    await runner.query(
      `CREATE INDEX "idx_service_request_customer_id_created_at" ON "service_request"  ("customer_id", "created_at", "id") `,
    );
    await runner.query(`ALTER TABLE "audit_event" ADD "actor_name" text NOT NULL DEFAULT ''`);
    await runner.query(`ALTER TABLE "audit_event" ADD "on_behalf_of_id" uuid`);
    await runner.query(`ALTER TABLE "audit_event" ADD "assist_session_id" uuid`);
    await runner.query(`ALTER TABLE "organization" ADD "time_zone" text NOT NULL DEFAULT 'UTC'`);
    await runner.query(
      `CREATE INDEX "idx_audit_event_on_behalf_of_id_at" ON "audit_event"  ("on_behalf_of_id", "at") WHERE on_behalf_of_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_audit_event_subject_id_at" ON "audit_event"  ("subject_id", "at") WHERE subject_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_audit_event_actor_id_at" ON "audit_event"  ("actor_id", "at") WHERE actor_id IS NOT NULL`,
    );
    await runner.query(
      `ALTER TABLE "assist_session" ADD CONSTRAINT "fk_assist_session_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "assist_session" ADD CONSTRAINT "fk_assist_session_staff_id" FOREIGN KEY ("staff_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "assist_session" ADD CONSTRAINT "fk_assist_session_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "assist_session" ADD CONSTRAINT "fk_assist_session_started_from_session_id" FOREIGN KEY ("started_from_session_id") REFERENCES "client_session"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "service_request" ADD CONSTRAINT "fk_service_request_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "service_request" ADD CONSTRAINT "fk_service_request_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "service_request" ADD CONSTRAINT "fk_service_request_assisted_by_id" FOREIGN KEY ("assisted_by_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "service_request" ADD CONSTRAINT "fk_service_request_assist_session_id" FOREIGN KEY ("assist_session_id") REFERENCES "assist_session"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE "service_request" DROP CONSTRAINT "fk_service_request_assist_session_id"`,
    );
    await runner.query(
      `ALTER TABLE "service_request" DROP CONSTRAINT "fk_service_request_assisted_by_id"`,
    );
    await runner.query(
      `ALTER TABLE "service_request" DROP CONSTRAINT "fk_service_request_customer_id"`,
    );
    await runner.query(
      `ALTER TABLE "service_request" DROP CONSTRAINT "fk_service_request_organization_id"`,
    );
    await runner.query(
      `ALTER TABLE "assist_session" DROP CONSTRAINT "fk_assist_session_started_from_session_id"`,
    );
    await runner.query(
      `ALTER TABLE "assist_session" DROP CONSTRAINT "fk_assist_session_customer_id"`,
    );
    await runner.query(`ALTER TABLE "assist_session" DROP CONSTRAINT "fk_assist_session_staff_id"`);
    await runner.query(
      `ALTER TABLE "assist_session" DROP CONSTRAINT "fk_assist_session_organization_id"`,
    );
    await runner.query(`DROP INDEX "public"."idx_audit_event_actor_id_at"`);
    await runner.query(`DROP INDEX "public"."idx_audit_event_subject_id_at"`);
    await runner.query(`DROP INDEX "public"."idx_audit_event_on_behalf_of_id_at"`);
    await runner.query(`ALTER TABLE "organization" DROP COLUMN "time_zone"`);
    await runner.query(`ALTER TABLE "audit_event" DROP COLUMN "assist_session_id"`);
    await runner.query(`ALTER TABLE "audit_event" DROP COLUMN "on_behalf_of_id"`);
    await runner.query(`ALTER TABLE "audit_event" DROP COLUMN "actor_name"`);
    await runner.query(`DROP INDEX "public"."idx_service_request_customer_id_created_at"`);
    await runner.query(`DROP INDEX "public"."idx_service_request_organization_id_created_at"`);
    await runner.query(`DROP INDEX "public"."idx_service_request_assisted_by_id"`);
    await runner.query(`DROP INDEX "public"."idx_service_request_assist_session_id"`);
    await runner.query(`DROP TABLE "service_request"`);
    await runner.query(`DROP INDEX "public"."uq_assist_session_open"`);
    await runner.query(`DROP INDEX "public"."idx_assist_session_report"`);
    await runner.query(`DROP INDEX "public"."idx_assist_session_staff_id_started_at"`);
    await runner.query(`DROP INDEX "public"."idx_assist_session_customer_id"`);
    await runner.query(`DROP INDEX "public"."idx_assist_session_expires_at"`);
    await runner.query(`DROP TABLE "assist_session"`);
    await runner.query(`DROP INDEX "public"."idx_contact_value_trgm"`);
    await runner.query(`DROP INDEX "public"."idx_customer_postal_address_words"`);
    await runner.query(`DROP INDEX "public"."idx_customer_username_trgm"`);
    await runner.query(`DROP INDEX "public"."idx_customer_name_trgm"`);
    await runner.query(`DROP EXTENSION IF EXISTS pg_trgm`);
  }
}
