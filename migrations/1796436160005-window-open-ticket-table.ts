import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * L8's mark (the ticket each window has open) moves out of `client_session` into a table of its
 * own. Indexed in `client_session`, it made every openTicket and releaseTicket update the window's
 * row non-HOT: a new entry in each of the table's five indexes per operation (the sign-in token's
 * unique index included, which every HTTP request then searches). Now the window's row changes
 * only in columns no index covers. Marks set before this migration are not carried over (DDL
 * only): a ticket a window had open then is freed rather than passed on, once, when its holder lets
 * go.
 */
export class WindowOpenTicketTable1796436160005 implements MigrationInterface {
  name = 'WindowOpenTicketTable1796436160005';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "window_open_ticket" ("session_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, CONSTRAINT "pk_window_open_ticket" PRIMARY KEY ("session_id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_window_open_ticket_conversation_id" ON "window_open_ticket" ("conversation_id")`,
    );
    await runner.query(
      `ALTER TABLE "window_open_ticket" ADD CONSTRAINT "fk_window_open_ticket_session_id" FOREIGN KEY ("session_id") REFERENCES "client_session"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(`DROP INDEX "public"."idx_client_session_open_conversation_id"`);
    await runner.query(`ALTER TABLE "client_session" DROP COLUMN "open_conversation_id"`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "client_session" ADD "open_conversation_id" uuid`);
    await runner.query(
      `CREATE INDEX "idx_client_session_open_conversation_id" ON "client_session" ("open_conversation_id") WHERE open_conversation_id IS NOT NULL`,
    );
    await runner.query(
      `ALTER TABLE "window_open_ticket" DROP CONSTRAINT "fk_window_open_ticket_session_id"`,
    );
    await runner.query(`DROP INDEX "public"."idx_window_open_ticket_conversation_id"`);
    await runner.query(`DROP TABLE "window_open_ticket"`);
  }
}
