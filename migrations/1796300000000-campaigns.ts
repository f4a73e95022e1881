import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaigns (C1–C8, C15–C17): providers (secrets sealed, never in clear), campaigns with their
 * members and canned responses, a conversation's campaign and queue time, and the provider's
 * message id stored once per provider (insert-or-ignore for inbound, the key of status callbacks).
 */
export class Campaigns1796300000000 implements MigrationInterface {
  name = 'Campaigns1796300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "provider" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "kind" character varying(32) NOT NULL, "api_base_url" text NOT NULL, "account_number" text NOT NULL, "phone_number_id" text, "business_account_id" text, "account_sid" text, "sealed_secrets" text, "configured_secrets" text array NOT NULL DEFAULT '{}', "health_state" character varying(16) NOT NULL DEFAULT 'OK', "last_error" text, "failing_since" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_provider" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_provider_organization_id_name" ON "provider"  ("organization_id", "name") `,
    );
    await runner.query(
      `CREATE TABLE "campaign" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "provider_id" uuid, "inbox_id" uuid NOT NULL, "max_interactions_per_agent" integer NOT NULL, "service_level_seconds" integer NOT NULL, "abandon_after_seconds" integer NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_campaign_abandon_after_seconds" CHECK (abandon_after_seconds > 0), CONSTRAINT "chk_campaign_service_level_seconds" CHECK (service_level_seconds > 0), CONSTRAINT "chk_campaign_max_interactions_per_agent" CHECK (max_interactions_per_agent > 0), CONSTRAINT "pk_campaign" PRIMARY KEY ("id"))`,
    );
    await runner.query(`CREATE UNIQUE INDEX "uq_campaign_inbox_id" ON "campaign"  ("inbox_id") `);
    await runner.query(
      `CREATE UNIQUE INDEX "uq_campaign_enabled_provider_id" ON "campaign"  ("provider_id") WHERE enabled`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_campaign_organization_id_name" ON "campaign"  ("organization_id", "name") `,
    );
    await runner.query(
      `CREATE TABLE "campaign_member" ("campaign_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "added_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_campaign_member" PRIMARY KEY ("campaign_id", "staff_id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_campaign_member_staff_id" ON "campaign_member"  ("staff_id") `,
    );
    await runner.query(
      `CREATE TABLE "canned_response" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "campaign_id" uuid NOT NULL, "title" text NOT NULL, "body" text NOT NULL, "template_name" text, "template_language" text, "position" integer NOT NULL, CONSTRAINT "chk_canned_response_template" CHECK ((template_name IS NULL) = (template_language IS NULL)), CONSTRAINT "pk_canned_response" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_canned_response_campaign_id" ON "canned_response"  ("campaign_id", "position") `,
    );
    await runner.query(`ALTER TABLE "conversation" ADD "campaign_id" uuid`);
    await runner.query(
      `ALTER TABLE "conversation" ADD "waiting_since" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await runner.query(`ALTER TABLE "message" ADD "provider_id" uuid`);
    await runner.query(
      `CREATE INDEX "idx_conversation_campaign_queue" ON "conversation"  ("campaign_id", "waiting_since", "id") WHERE status = 'OPEN' AND assignee_id IS NULL AND waiting_since IS NOT NULL AND deleted_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_campaign_id" ON "conversation"  ("campaign_id", "created_at", "id") WHERE campaign_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_message_provider_message_id" ON "message"  ("provider_id", "provider_message_id") WHERE provider_id IS NOT NULL AND provider_message_id IS NOT NULL`,
    );
    await runner.query(
      `ALTER TABLE "provider" ADD CONSTRAINT "fk_provider_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "campaign" ADD CONSTRAINT "fk_campaign_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "campaign" ADD CONSTRAINT "fk_campaign_provider_id" FOREIGN KEY ("provider_id") REFERENCES "provider"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "campaign" ADD CONSTRAINT "fk_campaign_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "campaign_member" ADD CONSTRAINT "fk_campaign_member_campaign_id" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "campaign_member" ADD CONSTRAINT "fk_campaign_member_staff_id" FOREIGN KEY ("staff_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "campaign_member" ADD CONSTRAINT "fk_campaign_member_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "canned_response" ADD CONSTRAINT "fk_canned_response_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "canned_response" ADD CONSTRAINT "fk_canned_response_campaign_id" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "conversation" ADD CONSTRAINT "fk_conversation_campaign_id" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "message" ADD CONSTRAINT "fk_message_provider_id" FOREIGN KEY ("provider_id") REFERENCES "provider"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "message" DROP CONSTRAINT "fk_message_provider_id"`);
    await runner.query(`ALTER TABLE "conversation" DROP CONSTRAINT "fk_conversation_campaign_id"`);
    await runner.query(
      `ALTER TABLE "canned_response" DROP CONSTRAINT "fk_canned_response_campaign_id"`,
    );
    await runner.query(
      `ALTER TABLE "canned_response" DROP CONSTRAINT "fk_canned_response_organization_id"`,
    );
    await runner.query(
      `ALTER TABLE "campaign_member" DROP CONSTRAINT "fk_campaign_member_organization_id"`,
    );
    await runner.query(
      `ALTER TABLE "campaign_member" DROP CONSTRAINT "fk_campaign_member_staff_id"`,
    );
    await runner.query(
      `ALTER TABLE "campaign_member" DROP CONSTRAINT "fk_campaign_member_campaign_id"`,
    );
    await runner.query(`ALTER TABLE "campaign" DROP CONSTRAINT "fk_campaign_inbox_id"`);
    await runner.query(`ALTER TABLE "campaign" DROP CONSTRAINT "fk_campaign_provider_id"`);
    await runner.query(`ALTER TABLE "campaign" DROP CONSTRAINT "fk_campaign_organization_id"`);
    await runner.query(`ALTER TABLE "provider" DROP CONSTRAINT "fk_provider_organization_id"`);
    await runner.query(`DROP INDEX "public"."uq_message_provider_message_id"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_campaign_id"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_campaign_queue"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "provider_id"`);
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "waiting_since"`);
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "campaign_id"`);
    await runner.query(`DROP INDEX "public"."idx_canned_response_campaign_id"`);
    await runner.query(`DROP TABLE "canned_response"`);
    await runner.query(`DROP INDEX "public"."idx_campaign_member_staff_id"`);
    await runner.query(`DROP TABLE "campaign_member"`);
    await runner.query(`DROP INDEX "public"."uq_campaign_organization_id_name"`);
    await runner.query(`DROP INDEX "public"."uq_campaign_enabled_provider_id"`);
    await runner.query(`DROP INDEX "public"."uq_campaign_inbox_id"`);
    await runner.query(`DROP TABLE "campaign"`);
    await runner.query(`DROP INDEX "public"."uq_provider_organization_id_name"`);
    await runner.query(`DROP TABLE "provider"`);
  }
}
