import type { MigrationInterface, QueryRunner } from 'typeorm';

export class StaffEmailPerOrganization1796197374462 implements MigrationInterface {
  name = 'StaffEmailPerOrganization1796197374462';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "public"."uq_staff_email"`);
    await runner.query(`CREATE INDEX "idx_staff_email" ON "staff"  ("email") `);
    await runner.query(
      `CREATE UNIQUE INDEX "uq_staff_organization_id_email" ON "staff"  ("organization_id", "email") `,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "public"."uq_staff_organization_id_email"`);
    await runner.query(`DROP INDEX "public"."idx_staff_email"`);
    await runner.query(`CREATE UNIQUE INDEX "uq_staff_email" ON "staff" USING btree ("email") `);
  }
}
