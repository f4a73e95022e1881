import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Inbound provider messages keep the provider's timestamp (the reply window) and content type. */
export class InboundMessages1796300000001 implements MigrationInterface {
  name = 'InboundMessages1796300000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE "message" ADD "provider_timestamp" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await runner.query(`ALTER TABLE "message" ADD "content_type" text`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "message" DROP COLUMN "content_type"`);
    await runner.query(`ALTER TABLE "message" DROP COLUMN "provider_timestamp"`);
  }
}
