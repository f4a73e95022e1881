-- Recordings (C15): what the search shows of an interaction, where the rule runs in
-- PostgreSQL. src/services/campaign/recordings.store.ts is the TypeScript that names it.

-- The state of an interaction, as a supervisor reads it in the recordings: WAITING in its
-- campaign's queue (never taken, or requeued), ACTIVE with an agent, ABANDONED (the customer
-- left, or the abandon timeout ran out, before anyone took it), or CLOSED (finished, archived
-- too). An IMMUTABLE SQL function of the row's columns: Postgres inlines it as the CASE it is,
-- in the search's filter and in the state a conversation's field reads.
CREATE FUNCTION tandem_interaction_state(p_status varchar, p_assignee uuid, p_reason varchar)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN p_status = 'OPEN' AND p_assignee IS NULL THEN 'WAITING'
    WHEN p_status = 'OPEN' THEN 'ACTIVE'
    WHEN p_reason = 'ABANDONED' THEN 'ABANDONED'
    ELSE 'CLOSED'
  END
$$;
