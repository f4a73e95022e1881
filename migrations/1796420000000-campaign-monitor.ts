import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaign monitoring (C9): the day's counters per campaign (kept by a trigger of
 * src/services/supervision/monitor.sql), the moments they count from on each interaction, the
 * service-level settings of a campaign and the organization's day reset time.
 */
export class CampaignMonitor1796420000000 implements MigrationInterface {
  name = 'CampaignMonitor1796420000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "campaign_day_stat" ("campaign_id" uuid NOT NULL, "day" date NOT NULL, "organization_id" uuid NOT NULL, "offered" integer NOT NULL DEFAULT '0', "answered" integer NOT NULL DEFAULT '0', "answered_in_threshold" integer NOT NULL DEFAULT '0', "wait_ms" bigint NOT NULL DEFAULT '0', "abandoned" integer NOT NULL DEFAULT '0', "short_abandoned" integer NOT NULL DEFAULT '0', "handled" integer NOT NULL DEFAULT '0', "handle_ms" bigint NOT NULL DEFAULT '0', CONSTRAINT "pk_campaign_day_stat" PRIMARY KEY ("campaign_id", "day"))`,
    );
    await runner.query(
      `ALTER TABLE "campaign_day_stat" ADD CONSTRAINT "fk_campaign_day_stat_campaign_id" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "campaign_day_stat" ADD CONSTRAINT "fk_campaign_day_stat_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(`ALTER TABLE "conversation" ADD "taken_at" TIMESTAMP(3) WITH TIME ZONE`);
    await runner.query(`ALTER TABLE "conversation" ADD "handled_at" TIMESTAMP(3) WITH TIME ZONE`);
    await runner.query(`ALTER TABLE "conversation" ADD "abandoned_at" TIMESTAMP(3) WITH TIME ZONE`);
    await runner.query(
      `ALTER TABLE "campaign" ADD "service_level_counts_abandoned" boolean NOT NULL DEFAULT true`,
    );
    await runner.query(
      `ALTER TABLE "campaign" ADD "short_abandon_seconds" integer NOT NULL DEFAULT '5'`,
    );
    await runner.query(
      `ALTER TABLE "campaign" ADD CONSTRAINT "chk_campaign_short_abandon_seconds" CHECK (short_abandon_seconds >= 0)`,
    );
    await runner.query(
      `ALTER TABLE "organization" ADD "day_reset_time" TIME(0) NOT NULL DEFAULT '00:00:00'`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "organization" DROP COLUMN "day_reset_time"`);
    await runner.query(
      `ALTER TABLE "campaign" DROP CONSTRAINT "chk_campaign_short_abandon_seconds"`,
    );
    await runner.query(`ALTER TABLE "campaign" DROP COLUMN "short_abandon_seconds"`);
    await runner.query(`ALTER TABLE "campaign" DROP COLUMN "service_level_counts_abandoned"`);
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "abandoned_at"`);
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "handled_at"`);
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "taken_at"`);
    await runner.query(
      `ALTER TABLE "campaign_day_stat" DROP CONSTRAINT "fk_campaign_day_stat_organization_id"`,
    );
    await runner.query(
      `ALTER TABLE "campaign_day_stat" DROP CONSTRAINT "fk_campaign_day_stat_campaign_id"`,
    );
    await runner.query(`DROP TABLE "campaign_day_stat"`);
  }
}
