import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A requeued campaign interaction keeps its waitingSince; its abandon timer restarts then. */
export class CampaignRequeue1796300000002 implements MigrationInterface {
  name = 'CampaignRequeue1796300000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "conversation" ADD "requeued_at" TIMESTAMP(3) WITH TIME ZONE`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "conversation" DROP COLUMN "requeued_at"`);
  }
}
