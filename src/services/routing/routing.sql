-- Routing (R8, R9): the next available agent and the queue, decided in Postgres so that they
-- hold across instances. src/services/routing/routing.store.ts is the only TypeScript that names
-- these functions.

-- Open conversations an agent holds in an inbox: what its capacity limits.
CREATE FUNCTION tandem_open_count(p_staff uuid, p_inbox uuid) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM conversation
   WHERE assignee_id = p_staff AND inbox_id = p_inbox AND status = 'OPEN' AND deleted_at IS NULL
$$;

-- R8's "available": active, ONLINE, not paused, and reachable (a window alive within the TTL).
-- The one text of the rule, which every router asks: a hero's availability (R5), the claim of an
-- inbox's next agents (tandem_claim_agents), and next, campaign queues. A STABLE SQL function
-- returning rows: Postgres inlines it, so that
-- `EXISTS (SELECT 1 FROM tandem_available_agents(ttl) a WHERE a.id = s.id)` is planned as the
-- condition written in place would be (measured: the same time per ranking).
CREATE FUNCTION tandem_available_agents(p_ttl interval) RETURNS SETOF staff LANGUAGE sql STABLE AS $$
  SELECT s.* FROM staff s
   WHERE s.active AND s.status = 'ONLINE' AND s.paused_at IS NULL
     AND EXISTS (SELECT 1 FROM client_session w WHERE w.staff_id = s.id AND tandem_window_live(w, p_ttl))
$$;

-- C12's "paused": a supervisor paused the staff member (pauseAgent) and has not resumed them. A
-- paused agent is offered nothing and may take nothing: the availability above leaves them out
-- (the same column, inlined), and a take of a campaign's interaction refuses the taker when this
-- says so (asked under the taker's row lock, so a pause committed first is seen).
CREATE FUNCTION tandem_is_paused(p_staff uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM staff WHERE id = p_staff AND paused_at IS NOT NULL)
$$;

-- R8, the claim every router makes: of the inbox's available members under p_capacity by their
-- kept count (inbox_member.open_count), the best ranked (fewest open conversations of the inbox,
-- then the longest since their last assignment, then by id), up to p_count of them, leaving out
-- p_passed; their staff rows locked SKIP LOCKED (an agent another router holds is left to it).
-- The ranking read the rows as they were when it began, so a claimed agent is given work only once
-- the caller has checked them again under the lock: available (a later statement sees what was
-- committed before the lock) and holding fewer than the maximum, counted from the conversations
-- themselves (the kept count could lag). A queue with a per-agent maximum of its own (a campaign)
-- claims the same way: lock, then check and count under the lock.
CREATE FUNCTION tandem_claim_agents(p_org uuid, p_inbox uuid, p_ttl interval, p_capacity integer,
                                    p_count integer, p_passed uuid[]) RETURNS uuid[]
LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT array_agg(ranked.id) FROM (
    SELECT s.id
      FROM inbox_member m
      JOIN staff s ON s.id = m.staff_id
     WHERE m.inbox_id = p_inbox AND s.organization_id = p_org AND m.open_count < p_capacity
       AND EXISTS (SELECT 1 FROM tandem_available_agents(p_ttl) a WHERE a.id = s.id)
       AND s.id <> ALL (p_passed)
     ORDER BY m.open_count, s.last_assigned_at NULLS FIRST, s.id
     LIMIT p_count
     FOR UPDATE OF s SKIP LOCKED) ranked);
END $$;

-- The next available agent of an inbox (R8), for one conversation routed in the caller's
-- transaction: claimed (tandem_claim_agents), then checked and counted again under the lock; one
-- found unavailable or full is passed over for the next. Returns the agent, their row locked until
-- the caller's transaction ends, or NULL.
CREATE FUNCTION tandem_claim_agent(p_org uuid, p_inbox uuid, p_ttl interval) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_capacity integer;
  v_agent uuid;
  v_passed uuid[] := '{}';
BEGIN
  SELECT agent_capacity INTO v_capacity FROM inbox WHERE id = p_inbox AND organization_id = p_org;
  IF NOT FOUND THEN RETURN NULL; END IF;
  LOOP
    v_agent := (tandem_claim_agents(p_org, p_inbox, p_ttl, v_capacity, 1, v_passed))[1];
    IF v_agent IS NULL THEN RETURN NULL; END IF;
    IF EXISTS (SELECT 1 FROM tandem_available_agents(p_ttl) a WHERE a.id = v_agent)
       AND tandem_open_count(v_agent, p_inbox) < v_capacity THEN
      RETURN v_agent;
    END IF;
    v_passed := v_passed || v_agent;
  END LOOP;
END $$;

-- R9: the inbox's next available agents take its oldest waiting conversations, up to p_max in
-- this one statement. The plan: the best-ranked available agents (R8: tandem_claim_agents), as
-- many as there are conversations to route (the choices of one batch never reach further down the
-- ranking), their rows locked SKIP LOCKED (an agent another router holds is left to it), checked
-- available again and what they hold counted from the conversations themselves under the lock,
-- which keeps capacity exact. Each agent then offers
-- one slot per conversation they can still take; R8 taking one agent at a time would fill them
-- level by level (fewest held first) and, within a level, those who were there before the batch
-- first (longest since their last assignment, then id), then those the batch brought there, in
-- the order it did: the slots in that order meet the heads in FIFO order. The batch's events are
-- appended at its end (tandem_append_events: each stream's row raised once per batch). Returns
-- how many were routed and the events to publish.
CREATE FUNCTION tandem_route_queue(p_org uuid, p_inbox uuid, p_ttl interval, p_actor jsonb, p_note text,
                                   p_max integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_none CONSTANT jsonb := jsonb_build_object('routed', 0, 'events', '[]'::jsonb);
  v_capacity integer;
  v_waiting integer;
  v_agents uuid[];
  v_heads uuid[];
  v_assignees uuid[];
  v_at timestamptz := date_trunc('milliseconds', clock_timestamp());
  v_pending jsonb;
  v_moved record;
BEGIN
  SELECT agent_capacity INTO v_capacity FROM inbox WHERE id = p_inbox AND organization_id = p_org;
  IF NOT FOUND THEN RETURN v_none; END IF;
  -- Most drains find nothing waiting: they lock no agent.
  SELECT count(*) INTO v_waiting FROM (
    SELECT 1 FROM conversation q
     WHERE q.inbox_id = p_inbox AND q.status = 'OPEN' AND q.assignee_id IS NULL
       AND q.queued_at IS NOT NULL AND q.deleted_at IS NULL
     LIMIT p_max) waiting;
  IF v_waiting = 0 THEN RETURN v_none; END IF;

  v_agents := tandem_claim_agents(p_org, p_inbox, p_ttl, v_capacity, v_waiting, '{}');
  IF v_agents IS NULL THEN RETURN v_none; END IF;

  WITH held AS (
    SELECT c.assignee_id AS id, count(*) AS open FROM conversation c
     WHERE c.inbox_id = p_inbox AND c.assignee_id = ANY (v_agents) AND c.status = 'OPEN'
       AND c.deleted_at IS NULL
     GROUP BY c.assignee_id
  ), agents AS (
    SELECT s.id, coalesce(h.open, 0) AS open, s.last_assigned_at AS last
      FROM staff s LEFT JOIN held h ON h.id = s.id
     WHERE s.id = ANY (v_agents) AND coalesce(h.open, 0) < v_capacity
       AND EXISTS (SELECT 1 FROM tandem_available_agents(p_ttl) a WHERE a.id = s.id)
  ), slots AS (
    SELECT a.id, row_number() OVER (ORDER BY level, a.open DESC, a.last NULLS FIRST, a.id) AS n
      FROM agents a, generate_series(a.open, least(v_capacity - 1, a.open + v_waiting - 1)) AS level
  ), heads AS (
    SELECT q.id, row_number() OVER (ORDER BY q.queued_at, q.id) AS n FROM (
      SELECT c.id, c.queued_at FROM conversation c
       WHERE c.inbox_id = p_inbox AND c.status = 'OPEN' AND c.assignee_id IS NULL
         AND c.queued_at IS NOT NULL AND c.deleted_at IS NULL
       ORDER BY c.queued_at, c.id
       FOR UPDATE SKIP LOCKED
       LIMIT least(v_waiting, (SELECT count(*) FROM slots))) q
  )
  SELECT array_agg(h.id ORDER BY h.n), array_agg(s.id ORDER BY h.n) INTO v_heads, v_assignees
    FROM heads h JOIN slots s USING (n);
  IF v_heads IS NULL THEN RETURN v_none; END IF;

  WITH routed AS (
    UPDATE conversation c
       SET assignee_id = p.agent, routing_reason = 'FROM_QUEUE', queued_at = NULL, updated_at = now()
      FROM unnest(v_heads, v_assignees) WITH ORDINALITY AS p(head, agent, n)
     WHERE c.id = p.head
    RETURNING p.n, c.assignee_id AS agent, tandem_conversation_json(c) AS conversation
  )
  SELECT jsonb_agg(event.body ORDER BY r.n, event.k) INTO v_pending
    FROM routed r, LATERAL (VALUES
      (1, tandem_event(tandem_stream(p_org, 'inbox', p_inbox, 'conversations'), p_org,
          jsonb_build_object('kind', 'ROUTED', 'actor', p_actor, 'conversation', r.conversation))),
      (2, tandem_event(tandem_stream(p_org, 'staff', r.agent, 'assignments'), p_org,
          jsonb_build_object('kind', 'ASSIGNED', 'actor', p_actor, 'conversation', r.conversation)))
    ) AS event(k, body);
  -- One decision at one instant: the batch's agents share its time (ties among them go by id).
  UPDATE staff SET last_assigned_at = v_at WHERE id = ANY (v_assignees);
  INSERT INTO routing_decision (organization_id, conversation_id, reason, assignee_id, inbox_id,
                                decided_by_kind, decided_by_id, decided_by_name, note)
  SELECT p_org, p.head, 'FROM_QUEUE', p.agent, p_inbox,
         p_actor ->> 'kind', (p_actor ->> 'id')::uuid, p_actor ->> 'name', p_note
    FROM unnest(v_heads, v_assignees) WITH ORDINALITY AS p(head, agent, n) ORDER BY p.n;
  -- L6: a first assignment only frees a lock a co-worker held on the ticket.
  FOR v_moved IN
    SELECT p.head, p.agent FROM unnest(v_heads, v_assignees) AS p(head, agent)
      JOIN ticket_lock l ON l.conversation_id = p.head AND l.session_id IS NOT NULL
     ORDER BY p.head
  LOOP
    v_pending := v_pending || tandem_ticket_moved(p_org, v_moved.head, p_inbox, p_actor, p_note, v_moved.agent, true);
  END LOOP;
  RETURN jsonb_build_object('routed', cardinality(v_heads), 'events', tandem_append_events(v_pending));
END $$;

-- A conversation that starts, stops or moves being open and assigned changes its assignee's count
-- in its inbox (members only: others have no row, and are counted when they join).
CREATE FUNCTION tandem_track_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_was boolean := TG_OP <> 'INSERT' AND OLD.status = 'OPEN' AND OLD.assignee_id IS NOT NULL AND OLD.deleted_at IS NULL;
  v_is boolean := TG_OP <> 'DELETE' AND NEW.status = 'OPEN' AND NEW.assignee_id IS NOT NULL AND NEW.deleted_at IS NULL;
BEGIN
  IF v_was AND v_is AND OLD.inbox_id = NEW.inbox_id AND OLD.assignee_id = NEW.assignee_id THEN RETURN NULL; END IF;
  IF v_was THEN
    UPDATE inbox_member SET open_count = open_count - 1 WHERE inbox_id = OLD.inbox_id AND staff_id = OLD.assignee_id;
  END IF;
  IF v_is THEN
    UPDATE inbox_member SET open_count = open_count + 1 WHERE inbox_id = NEW.inbox_id AND staff_id = NEW.assignee_id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER conversation_open_count AFTER INSERT OR DELETE OR UPDATE OF status, assignee_id, inbox_id, deleted_at
  ON conversation FOR EACH ROW EXECUTE FUNCTION tandem_track_open_count();

-- A new member starts with what they already hold in the inbox.
CREATE FUNCTION tandem_member_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.open_count := tandem_open_count(NEW.staff_id, NEW.inbox_id);
  RETURN NEW;
END $$;

CREATE TRIGGER inbox_member_open_count BEFORE INSERT ON inbox_member
  FOR EACH ROW EXECUTE FUNCTION tandem_member_open_count();
