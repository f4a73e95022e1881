import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Supervision: a per-person access generation that live streams compare (item 8 of issue 17). */
export class AccessGeneration1796310000000 implements MigrationInterface {
  name = 'AccessGeneration1796310000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "staff" ADD "access_generation" bigint NOT NULL DEFAULT '0'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "staff" DROP COLUMN "access_generation"`);
  }
}
