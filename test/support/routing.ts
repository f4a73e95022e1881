import type { DataSource } from 'typeorm';

/**
 * Records, inside every transaction that writes a conversation, any agent holding more open
 * conversations of an inbox than its capacity: a check at every moment, not only between steps.
 */
export async function watchCapacity(dataSource: DataSource): Promise<void> {
  await dataSource.query(`
    CREATE TABLE capacity_violation (conversation_id uuid, assignee_id uuid, open bigint, at timestamptz DEFAULT clock_timestamp());
    CREATE FUNCTION record_capacity_violation() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE v_open bigint;
    BEGIN
      IF NEW.assignee_id IS NOT NULL AND NEW.status = 'OPEN' THEN
        v_open := tandem_open_count(NEW.assignee_id, NEW.inbox_id);
        IF v_open > (SELECT agent_capacity FROM inbox WHERE id = NEW.inbox_id) THEN
          INSERT INTO capacity_violation (conversation_id, assignee_id, open) VALUES (NEW.id, NEW.assignee_id, v_open);
        END IF;
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER capacity_watch AFTER INSERT OR UPDATE ON conversation
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_capacity_violation();
  `);
}
