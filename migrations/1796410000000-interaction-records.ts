import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes of a contact's history (C7) and of the recordings search (C15): a number's
 * interactions; the organization's campaign interactions newest first, and an agent's; subjects
 * by any part (pg_trgm, installed by AssistedService).
 */
export class InteractionRecords1796410000000 implements MigrationInterface {
  name = 'InteractionRecords1796410000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE INDEX "idx_conversation_contact_id" ON "conversation" ("contact_id", "created_at")`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_records" ON "conversation" ("organization_id", "created_at", "id") WHERE campaign_id IS NOT NULL AND deleted_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_records_agent" ON "conversation" ("assignee_id", "created_at", "id") WHERE campaign_id IS NOT NULL AND deleted_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX "idx_conversation_subject_trgm" ON "conversation" USING gin (lower(subject) gin_trgm_ops) WHERE campaign_id IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "public"."idx_conversation_subject_trgm"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_records_agent"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_records"`);
    await runner.query(`DROP INDEX "public"."idx_conversation_contact_id"`);
  }
}
