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
