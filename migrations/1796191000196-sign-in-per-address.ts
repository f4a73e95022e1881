import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in throttling per email and client address (failures from one address never lock the
 * owner out of another), and a budget of attempts per address whatever the email.
 */
export class SignInPerAddress1796191000196 implements MigrationInterface {
  name = 'SignInPerAddress1796191000196';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "sign_in_budget" ("address" text NOT NULL, "tokens" double precision NOT NULL, "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_sign_in_budget" PRIMARY KEY ("address"))`,
    );
    // Rows counted before addresses were known: no address of their own.
    await runner.query(`ALTER TABLE "sign_in_throttle" ADD "address" text NOT NULL DEFAULT ''`);
    await runner.query(`ALTER TABLE "sign_in_throttle" ALTER COLUMN "address" DROP DEFAULT`);
    await runner.query(`ALTER TABLE "sign_in_throttle" DROP CONSTRAINT "pk_sign_in_throttle"`);
    await runner.query(
      `ALTER TABLE "sign_in_throttle" ADD CONSTRAINT "pk_sign_in_throttle" PRIMARY KEY ("email", "address")`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "sign_in_throttle" DROP CONSTRAINT "pk_sign_in_throttle"`);
    await runner.query(
      `ALTER TABLE "sign_in_throttle" ADD CONSTRAINT "pk_sign_in_throttle" PRIMARY KEY ("email")`,
    );
    await runner.query(`ALTER TABLE "sign_in_throttle" DROP COLUMN "address"`);
    await runner.query(`DROP TABLE "sign_in_budget"`);
  }
}
