import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider webhooks stored as received (C3), the outbox's bookkeeping on messages and the
 * provider's send slot (C6), and the conversation's 24-hour reply window (the provider's timestamp
 * of inbound messages is 16core's `message.provider_timestamp`).
 */
export class ProviderWebhooksOutbox1796340000000 implements MigrationInterface {
  name = 'ProviderWebhooksOutbox1796340000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "provider_webhook" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "raw_body" bytea NOT NULL, "headers" jsonb NOT NULL, "public_url" text NOT NULL, "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP(3) WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "last_error" text, CONSTRAINT "pk_provider_webhook" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_provider_webhook_provider_id" ON "provider_webhook"  ("provider_id") `,
    );
    await runner.query(
      `CREATE INDEX "idx_provider_webhook_unprocessed" ON "provider_webhook"  ("received_at") WHERE processed_at IS NULL`,
    );
    await runner.query(`ALTER TABLE "provider" ADD "next_send_at" TIMESTAMP(3) WITH TIME ZONE`);
    await runner.query(
      `ALTER TABLE "conversation" ADD "reply_window_closes_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await runner.query(`ALTER TABLE "message" ADD "delivery_error_code" text`);
    await runner.query(`ALTER TABLE "message" ADD "delivery_error_reason" text`);
    await runner.query(
      `ALTER TABLE "message" ADD "delivery_updated_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await runner.query(`ALTER TABLE "message" ADD "send_attempts" integer NOT NULL DEFAULT '0'`);
    await runner.query(
      `ALTER TABLE "message" ADD "last_send_attempt_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await runner.query(`ALTER TABLE "message" ADD "template_name" text`);
    await runner.query(`ALTER TABLE "message" ADD "template_language" text`);
    await runner.query(
      `ALTER TABLE "provider_webhook" ADD CONSTRAINT "fk_provider_webhook_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "provider_webhook" ADD CONSTRAINT "fk_provider_webhook_provider_id" FOREIGN KEY ("provider_id") REFERENCES "provider"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE "provider_webhook" DROP CONSTRAINT "fk_provider_webhook_provider_id"`,
    );
    await runner.query(
      `ALTER TABLE "provider_webhook" DROP CONSTRAINT "fk_provider_webhook_organization_id"`,
    );
    await runner.query(`ALTER TABLE "message" DROP COLUMN "template_language"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "template_name"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "last_send_attempt_at"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "send_attempts"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "delivery_updated_at"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "delivery_error_reason"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "delivery_error_code"`);
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "reply_window_closes_at"`);
    await runner.query(`ALTER TABLE "provider" DROP COLUMN "next_send_at"`);
    await runner.query(`DROP INDEX "public"."idx_provider_webhook_unprocessed"`);
    await runner.query(`DROP INDEX "public"."idx_provider_webhook_provider_id"`);
    await runner.query(`DROP TABLE "provider_webhook"`);
  }
}
