-- What a caller may see, where the rule runs in PostgreSQL. src/authz/access-policy.ts is the
-- TypeScript that names it.

-- The conversations a viewer sees (L11, and every read of a conversation): their organization's,
-- not deleted, and, for a viewer who does not see every inbox (an AGENT: p_sees_all false, from
-- seesAllInboxes), those of the inboxes they are a member of or assigned to them. The one text of
-- the rule: lock operations read a ticket through it, lists select from it, AccessPolicy loads a
-- conversation through it. A STABLE SQL function returning rows: Postgres inlines it, so it costs
-- what the condition written in place would.
CREATE FUNCTION tandem_visible_conversations(p_org uuid, p_viewer uuid, p_sees_all boolean)
RETURNS SETOF conversation LANGUAGE sql STABLE AS $$
  SELECT c.* FROM conversation c
   WHERE c.organization_id = p_org AND c.deleted_at IS NULL
     AND (p_sees_all OR c.assignee_id = p_viewer
          OR c.inbox_id IN (SELECT m.inbox_id FROM inbox_member m WHERE m.staff_id = p_viewer))
$$;

-- What a person may watch changed (role, activation, an inbox membership): their access
-- generation goes up, in the transaction that changed it, whatever wrote it. Live streams hold
-- the generation their access was checked at; a notice (or the periodic comparison) makes them
-- check again once, never a query per event.
CREATE FUNCTION tandem_staff_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.role IS DISTINCT FROM OLD.role OR NEW.active IS DISTINCT FROM OLD.active THEN
    NEW.access_generation := OLD.access_generation + 1;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER staff_access_generation BEFORE UPDATE OF role, active ON staff
  FOR EACH ROW EXECUTE FUNCTION tandem_staff_access_changed();

CREATE FUNCTION tandem_membership_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE staff SET access_generation = access_generation + 1
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.staff_id ELSE NEW.staff_id END;
  RETURN NULL;
END $$;

CREATE TRIGGER inbox_member_access_generation AFTER INSERT OR DELETE ON inbox_member
  FOR EACH ROW EXECUTE FUNCTION tandem_membership_access_changed();
