import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Chat with agent (C13): internal messages between a supervisor and an agent, unread until read. */
export class AgentChat1796310000001 implements MigrationInterface {
  name = 'AgentChat1796310000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "agent_chat_message" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "from_staff_id" uuid NOT NULL, "to_staff_id" uuid NOT NULL, "body" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "read_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_agent_chat_message" PRIMARY KEY ("id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_agent_chat_message_from_staff_id_created_at" ON "agent_chat_message"  ("from_staff_id", "created_at") `,
    );
    await runner.query(
      `CREATE INDEX "idx_agent_chat_message_to_staff_id_from_staff_id" ON "agent_chat_message"  ("to_staff_id", "from_staff_id") WHERE read_at IS NULL`,
    );
    await runner.query(
      `ALTER TABLE "agent_chat_message" ADD CONSTRAINT "fk_agent_chat_message_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "agent_chat_message" ADD CONSTRAINT "fk_agent_chat_message_from_staff_id" FOREIGN KEY ("from_staff_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "agent_chat_message" ADD CONSTRAINT "fk_agent_chat_message_to_staff_id" FOREIGN KEY ("to_staff_id") REFERENCES "staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE "agent_chat_message" DROP CONSTRAINT "fk_agent_chat_message_to_staff_id"`,
    );
    await runner.query(
      `ALTER TABLE "agent_chat_message" DROP CONSTRAINT "fk_agent_chat_message_from_staff_id"`,
    );
    await runner.query(
      `ALTER TABLE "agent_chat_message" DROP CONSTRAINT "fk_agent_chat_message_organization_id"`,
    );
    await runner.query(`DROP INDEX "public"."idx_agent_chat_message_to_staff_id_from_staff_id"`);
    await runner.query(`DROP INDEX "public"."idx_agent_chat_message_from_staff_id_created_at"`);
    await runner.query(`DROP TABLE "agent_chat_message"`);
  }
}
