import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Helpers1795557694566 implements MigrationInterface {
  name = 'Helpers1795557694566';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "helper_assignment" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "staff_id" uuid NOT NULL, "assigned_by_kind" character varying(16) NOT NULL, "assigned_by_id" uuid, "assigned_by_name" text NOT NULL, "assigned_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "until" TIMESTAMP(3) WITH TIME ZONE, "ended_at" TIMESTAMP(3) WITH TIME ZONE, "end_reason" character varying(16), "ended_by_kind" character varying(16), "ended_by_id" uuid, "ended_by_name" text, CONSTRAINT "pk_helper_assignment" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_helper_assignment_until" ON "helper_assignment"  ("until") WHERE ended_at IS NULL AND until IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_helper_assignment_customer_id" ON "helper_assignment"  ("customer_id", "assigned_at") `,
    );
    await runner.query(
      `CREATE INDEX "idx_helper_assignment_staff_id" ON "helper_assignment"  ("staff_id") WHERE ended_at IS NULL`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_helper_assignment_active" ON "helper_assignment"  ("customer_id", "staff_id") WHERE ended_at IS NULL`,
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
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE "helper_assignment" DROP CONSTRAINT "fk_helper_assignment_staff_id"`,
    );
    await runner.query(
      `ALTER TABLE "helper_assignment" DROP CONSTRAINT "fk_helper_assignment_customer_id"`,
    );
    await runner.query(
      `ALTER TABLE "helper_assignment" DROP CONSTRAINT "fk_helper_assignment_organization_id"`,
    );
    await runner.query(`DROP INDEX "public"."uq_helper_assignment_active"`);
    await runner.query(`DROP INDEX "public"."idx_helper_assignment_staff_id"`);
    await runner.query(`DROP INDEX "public"."idx_helper_assignment_customer_id"`);
    await runner.query(`DROP INDEX "public"."idx_helper_assignment_until"`);
    await runner.query(`DROP TABLE "helper_assignment"`);
  }
}
