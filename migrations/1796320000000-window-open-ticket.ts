import type { MigrationInterface, QueryRunner } from 'typeorm';

/** L8: the ticket each window has open, so that a lock stays while any of its person's windows has it open. */
export class WindowOpenTicket1796320000000 implements MigrationInterface {
  name = 'WindowOpenTicket1796320000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "client_session" ADD "open_conversation_id" uuid`);
    await runner.query(
      `CREATE INDEX "idx_client_session_open_conversation_id" ON "client_session" ("open_conversation_id") WHERE open_conversation_id IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "public"."idx_client_session_open_conversation_id"`);
    await runner.query(`ALTER TABLE "client_session" DROP COLUMN "open_conversation_id"`);
  }
}
