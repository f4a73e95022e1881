-- Co-working ticket locks (L1-L12). Each operation is one statement, so that it holds across
-- instances: it checks, changes the lock rows, and logs its events last (so concurrent operations
-- cannot deadlock), unnumbered (tandem_append_pending): they are numbered once it has committed.
-- The functions a service runs inside a transaction of its own (tandem_release_session_locks,
-- tandem_ticket_moved) return their events instead, for the service to emit.
-- src/services/lock/lock.store.ts is the only TypeScript that names these functions.

-- A lock as the API shows it; the holder is a snapshot of the staff member (never their secrets).
-- PL/pgSQL, so that its lookup is planned once per connection.

CREATE FUNCTION tandem_lock_json(l ticket_lock) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN jsonb_build_object(
    'conversationId', l.conversation_id, 'inboxId', l.inbox_id, 'sessionId', l.session_id,
    'token', l.token, 'acquiredAt', tandem_iso(l.acquired_at),
    'holder', (SELECT jsonb_build_object('id', s.id, 'organizationId', s.organization_id, 'name', s.name,
                 'email', s.email, 'role', s.role, 'active', s.active, 'status', s.status,
                 'defaultInboxId', s.default_inbox_id, 'createdAt', tandem_iso(s.created_at))
                 FROM staff s WHERE s.id = l.staff_id));
END $$;

-- An event of the inbox's lock stream (TicketLockEventPayload), to log once the calling function
-- has changed all its rows.
CREATE FUNCTION tandem_lock_event(p_kind text, p_org uuid, p_inbox uuid, p_conversation uuid,
                                  p_lock jsonb, p_actor jsonb, p_note text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT tandem_event(tandem_stream(p_org, 'inbox', p_inbox, 'locks'), p_org,
    jsonb_build_object('kind', p_kind, 'conversationId', p_conversation, 'lock', p_lock,
                       'actor', p_actor, 'note', p_note))
$$;

-- The ticket is free: no window has it open any more (L8's marks go with the lock).
CREATE FUNCTION tandem_free_lock(p_conversation uuid) RETURNS void LANGUAGE sql AS $$
  UPDATE ticket_lock SET session_id = NULL, staff_id = NULL, acquired_at = NULL WHERE conversation_id = p_conversation;
  DELETE FROM window_open_ticket WHERE conversation_id = p_conversation;
$$;

-- L8: the window has this ticket open now (its mark, one per window). Not written when it is
-- already so. A table of its own, not a column of client_session: an indexed column there made
-- every operation's update of the window's row non-HOT (an entry in each of its indexes).
-- PL/pgSQL, so that its statement is planned once per connection.
CREATE FUNCTION tandem_mark_open(p_session uuid, p_conversation uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO window_open_ticket AS m (session_id, conversation_id) VALUES (p_session, p_conversation)
  ON CONFLICT (session_id) DO UPDATE SET conversation_id = EXCLUDED.conversation_id
   WHERE m.conversation_id <> EXCLUDED.conversation_id;
END $$;

-- L8: the window holding p_lock lets go of its ticket (it closed, released it, opened another,
-- left the inbox, or went away). The ticket stays locked while another live window of the same
-- person has it open (window_open_ticket): the lock passes to that window, with
-- its token (the same person holds it, so their writes guarded by it still pass); else it is
-- freed. p_gone: windows ending in the same statement, which cannot take it. Returns the event
-- to log: LOCKED for the window that keeps it, else RELEASED with p_note.
CREATE FUNCTION tandem_let_go_lock(p_lock ticket_lock, p_gone uuid[], p_ttl interval, p_actor jsonb, p_note text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_heir uuid;
  v_kept ticket_lock;
BEGIN
  SELECT w.id INTO v_heir FROM window_open_ticket m JOIN client_session w ON w.id = m.session_id
   WHERE m.conversation_id = p_lock.conversation_id AND w.staff_id = p_lock.staff_id
     AND w.id <> p_lock.session_id AND NOT (w.id = ANY (p_gone)) AND tandem_window_live(w, p_ttl)
   ORDER BY w.last_seen_at DESC, w.id LIMIT 1;
  IF v_heir IS NULL THEN
    PERFORM tandem_free_lock(p_lock.conversation_id);
    RETURN tandem_lock_event('RELEASED', p_lock.organization_id, p_lock.inbox_id, p_lock.conversation_id,
                             tandem_lock_json(p_lock), p_actor, p_note);
  END IF;
  UPDATE ticket_lock SET session_id = v_heir WHERE conversation_id = p_lock.conversation_id RETURNING * INTO v_kept;
  DELETE FROM window_open_ticket WHERE session_id = p_lock.session_id AND conversation_id = p_lock.conversation_id;
  RETURN tandem_lock_event('LOCKED', p_lock.organization_id, p_lock.inbox_id, p_lock.conversation_id,
                           tandem_lock_json(v_kept), p_actor, 'still open in another window of its holder');
END $$;

-- The ticket's inbox; NULL (NOT_FOUND) unless the caller sees the conversation (L11). PL/pgSQL, so
-- that its lookup is planned once per connection.
CREATE FUNCTION tandem_visible_ticket(p_org uuid, p_conversation uuid, p_staff uuid, p_sees_all boolean)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT v.inbox_id FROM tandem_visible_conversations(p_org, p_staff, p_sees_all) v
           WHERE v.id = p_conversation);
END $$;

-- L1, L9, L10: the window takes the ticket if it is free, held by a dead window or by another window
-- of the same person. A new holder gets the next fencing token; another window of the same person
-- keeps the token (L8: the person's windows work on it freely). Returns the lock, or a row of
-- NULLs when another person's live window holds it.
CREATE FUNCTION tandem_acquire_ticket(p_org uuid, p_conversation uuid, p_inbox uuid, p_session uuid, p_staff uuid,
                                      p_ttl interval) RETURNS ticket_lock
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
BEGIN
  INSERT INTO ticket_lock AS l (conversation_id, organization_id, inbox_id, session_id, staff_id, token, acquired_at)
  VALUES (p_conversation, p_org, p_inbox, p_session, p_staff, 1, now())
  ON CONFLICT (conversation_id) DO UPDATE
     SET session_id = EXCLUDED.session_id, staff_id = EXCLUDED.staff_id, inbox_id = EXCLUDED.inbox_id,
         token = CASE WHEN l.staff_id = EXCLUDED.staff_id THEN l.token ELSE l.token + 1 END,
         acquired_at = CASE WHEN l.staff_id = EXCLUDED.staff_id THEN l.acquired_at ELSE EXCLUDED.acquired_at END
   WHERE l.session_id IS NULL OR l.staff_id = EXCLUDED.staff_id OR NOT tandem_session_live(l.session_id, p_ttl)
  RETURNING * INTO v_lock;
  IF v_lock.conversation_id IS NOT NULL THEN
    -- Another person's windows (a dead holder's) no longer have it open.
    DELETE FROM window_open_ticket m USING client_session w
     WHERE m.conversation_id = p_conversation AND w.id = m.session_id AND w.staff_id <> p_staff;
  END IF;
  RETURN v_lock;
END $$;

-- L2: the window gives up the ticket it held, then takes this one (tandem_acquire_ticket).
CREATE FUNCTION tandem_take_ticket(p_org uuid, p_conversation uuid, p_inbox uuid, p_session uuid, p_staff uuid,
                                   p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_previous ticket_lock;
  v_json jsonb;
  v_pending jsonb := '[]'::jsonb;
BEGIN
  SELECT * INTO v_previous FROM ticket_lock WHERE session_id = p_session;
  IF FOUND AND v_previous.conversation_id = p_conversation THEN
    RETURN jsonb_build_object('outcome', 'ACQUIRED', 'lock', tandem_lock_json(v_previous), 'pending', v_pending);
  END IF;
  IF FOUND THEN
    v_pending := v_pending || tandem_let_go_lock(v_previous, '{}', p_ttl, p_actor, 'opened another ticket');
  END IF;
  v_lock := tandem_acquire_ticket(p_org, p_conversation, p_inbox, p_session, p_staff, p_ttl);
  IF v_lock.conversation_id IS NOT NULL THEN
    v_json := tandem_lock_json(v_lock);
    v_pending := v_pending || tandem_lock_event('LOCKED', p_org, p_inbox, p_conversation, v_json, p_actor, NULL);
    RETURN jsonb_build_object('outcome', 'ACQUIRED', 'lock', v_json, 'pending', v_pending);
  END IF;
  SELECT * INTO v_lock FROM ticket_lock WHERE conversation_id = p_conversation;
  RETURN jsonb_build_object('outcome', 'LOCKED_BY_OTHER', 'lock', tandem_lock_json(v_lock), 'pending', v_pending);
END $$;

-- Locks the window's row (serializing its own lock changes: two clicks at once), marks it seen
-- and in p_inbox. False when the window has ended.
CREATE FUNCTION tandem_hold_window(p_session uuid, p_inbox uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  UPDATE client_session SET last_seen_at = now(), inbox_id = coalesce(p_inbox, inbox_id)
   WHERE id = p_session AND revoked_at IS NULL AND expires_at > now();
  RETURN FOUND;
END $$;

-- The window opens a ticket (L1, L2, L8, L9, L10, L11): it must see the ticket, it enters the
-- ticket's inbox (its client_session row stays locked: two clicks of one window take turns),
-- and takes the ticket if it is free, held by a dead window or by another window of the same
-- person. A window that holds another ticket goes through tandem_take_ticket, which releases it.
CREATE FUNCTION tandem_open_ticket(p_org uuid, p_conversation uuid, p_session uuid, p_staff uuid,
                                   p_sees_all boolean, p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_inbox uuid := tandem_visible_ticket(p_org, p_conversation, p_staff, p_sees_all);
  v_lock ticket_lock;
  v_json jsonb;
  v_taken jsonb;
BEGIN
  IF v_inbox IS NULL THEN RETURN '{"outcome": "NOT_FOUND"}'; END IF;
  -- The window has this ticket open now (L8), whoever ends up holding it: a mark counts only for
  -- its person's lock, and goes when the lock is freed.
  UPDATE client_session SET last_seen_at = now(), inbox_id = v_inbox
   WHERE id = p_session AND revoked_at IS NULL AND expires_at > now();
  IF NOT FOUND THEN RETURN '{"outcome": "SESSION_ENDED"}'; END IF;
  PERFORM tandem_mark_open(p_session, p_conversation);

  IF EXISTS (SELECT 1 FROM ticket_lock WHERE session_id = p_session) THEN
    v_taken := tandem_take_ticket(p_org, p_conversation, v_inbox, p_session, p_staff, p_ttl, p_actor);
    RETURN jsonb_build_object('outcome', v_taken -> 'outcome', 'lock', v_taken -> 'lock',
                              'events', tandem_append_pending(v_taken -> 'pending'));
  END IF;

  v_lock := tandem_acquire_ticket(p_org, p_conversation, v_inbox, p_session, p_staff, p_ttl);
  IF v_lock.conversation_id IS NULL THEN
    SELECT * INTO v_lock FROM ticket_lock WHERE conversation_id = p_conversation;
    RETURN jsonb_build_object('outcome', 'LOCKED_BY_OTHER', 'lock', tandem_lock_json(v_lock), 'events', '[]'::jsonb);
  END IF;
  v_json := tandem_lock_json(v_lock);
  RETURN jsonb_build_object('outcome', 'ACQUIRED', 'lock', v_json, 'events', tandem_append_pending(
    jsonb_build_array(tandem_lock_event('LOCKED', p_org, v_inbox, p_conversation, v_json, p_actor, NULL))));
END $$;

-- L3: the window lets go of a ticket it (or another window of the same person) holds. L8: while
-- another live window of that person has it open, it stays theirs.
CREATE FUNCTION tandem_release_ticket(p_org uuid, p_conversation uuid, p_session uuid, p_staff uuid,
                                      p_sees_all boolean, p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_json jsonb;
  v_event jsonb;
BEGIN
  IF tandem_visible_ticket(p_org, p_conversation, p_staff, p_sees_all) IS NULL THEN
    RETURN '{"outcome": "NOT_FOUND"}';
  END IF;
  SELECT * INTO v_lock FROM ticket_lock WHERE conversation_id = p_conversation AND session_id IS NOT NULL FOR UPDATE;
  IF NOT FOUND THEN RETURN '{"outcome": "NOT_HELD", "events": []}'; END IF;
  v_json := tandem_lock_json(v_lock);
  IF v_lock.session_id <> p_session AND v_lock.staff_id IS DISTINCT FROM p_staff
     AND tandem_session_live(v_lock.session_id, p_ttl) THEN
    RETURN jsonb_build_object('outcome', 'LOCKED_BY_OTHER', 'lock', v_json);
  END IF;
  DELETE FROM window_open_ticket WHERE session_id = p_session AND conversation_id = p_conversation;
  IF v_lock.session_id <> p_session AND v_lock.staff_id = p_staff AND EXISTS (
       SELECT 1 FROM window_open_ticket m JOIN client_session w ON w.id = m.session_id
        WHERE m.session_id = v_lock.session_id AND m.conversation_id = p_conversation
          AND tandem_window_live(w, p_ttl)) THEN
    RETURN '{"outcome": "NOT_HELD", "events": []}'; -- their window working on it keeps it
  END IF;
  v_event := tandem_let_go_lock(v_lock, ARRAY[p_session], p_ttl, p_actor, NULL);
  RETURN jsonb_build_object('outcome', CASE WHEN v_event -> 'payload' ->> 'kind' = 'RELEASED' THEN 'RELEASED' ELSE 'NOT_HELD' END,
                            'lock', v_json, 'events', tandem_append_pending(jsonb_build_array(v_event)));
END $$;

-- L5: anyone who sees the ticket takes it from its holder; the holder's watchers are told who.
-- A caller without a window (an API key) only frees it.
CREATE FUNCTION tandem_force_release_ticket(p_org uuid, p_conversation uuid, p_session uuid, p_staff uuid,
                                            p_sees_all boolean, p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_inbox uuid := tandem_visible_ticket(p_org, p_conversation, p_staff, p_sees_all);
  v_lock ticket_lock;
  v_pending jsonb := '[]'::jsonb;
  v_taken jsonb;
BEGIN
  IF v_inbox IS NULL THEN RETURN jsonb_build_object('outcome', 'NOT_FOUND'); END IF;
  IF p_session IS NOT NULL AND NOT tandem_hold_window(p_session, v_inbox) THEN
    RETURN jsonb_build_object('outcome', 'SESSION_ENDED');
  END IF;
  SELECT * INTO v_lock FROM ticket_lock WHERE conversation_id = p_conversation AND session_id IS NOT NULL FOR UPDATE;
  IF FOUND AND v_lock.session_id IS DISTINCT FROM p_session THEN
    PERFORM tandem_free_lock(p_conversation);
    v_pending := v_pending || tandem_lock_event('FORCED_RELEASE', p_org, v_lock.inbox_id, p_conversation,
                                                tandem_lock_json(v_lock), p_actor, NULL);
  END IF;
  IF p_session IS NULL THEN
    RETURN jsonb_build_object('outcome', 'RELEASED', 'events', tandem_append_pending(v_pending));
  END IF;
  v_taken := tandem_take_ticket(p_org, p_conversation, v_inbox, p_session, p_staff, p_ttl, p_actor);
  IF v_taken ->> 'outcome' = 'ACQUIRED' THEN -- the forced release cleared every mark of the ticket
    PERFORM tandem_mark_open(p_session, p_conversation);
  END IF;
  RETURN jsonb_build_object('outcome', v_taken -> 'outcome', 'lock', v_taken -> 'lock',
                            'events', tandem_append_pending(v_pending || (v_taken -> 'pending')));
END $$;

-- L3: the window enters an inbox (NULL: leaves the inbox); a lock outside it is let go (L8: kept
-- by another window of the person that has it open), and a ticket open outside it is closed.
CREATE FUNCTION tandem_enter_inbox(p_session uuid, p_inbox uuid, p_ttl interval, p_actor jsonb, p_note text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_pending jsonb := '[]'::jsonb;
  v_was uuid;
BEGIN
  SELECT inbox_id INTO v_was FROM client_session
   WHERE id = p_session AND revoked_at IS NULL AND expires_at > now() FOR NO KEY UPDATE;
  IF NOT FOUND THEN RETURN jsonb_build_object('outcome', 'SESSION_ENDED'); END IF;
  UPDATE client_session SET inbox_id = p_inbox, last_seen_at = now() WHERE id = p_session;
  IF v_was IS DISTINCT FROM p_inbox THEN
    DELETE FROM window_open_ticket WHERE session_id = p_session;
  END IF;
  FOR v_lock IN SELECT * FROM ticket_lock WHERE session_id = p_session AND inbox_id IS DISTINCT FROM p_inbox FOR UPDATE LOOP
    v_pending := v_pending || tandem_let_go_lock(v_lock, ARRAY[p_session], p_ttl, p_actor, p_note);
  END LOOP;
  RETURN jsonb_build_object('outcome', 'ENTERED', 'events', tandem_append_pending(v_pending));
END $$;

-- L3: windows that closed, signed out or were revoked give up their ticket (L8: kept by another
-- window of the person that has it open), in the caller's transaction: returns the events, for
-- it to emit.
CREATE FUNCTION tandem_release_session_locks(p_sessions uuid[], p_ttl interval, p_actor jsonb, p_note text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_pending jsonb := '[]'::jsonb;
BEGIN
  FOR v_lock IN SELECT * FROM ticket_lock WHERE session_id = ANY (p_sessions) ORDER BY conversation_id FOR UPDATE LOOP
    v_pending := v_pending || tandem_let_go_lock(v_lock, p_sessions, p_ttl, p_actor, p_note);
  END LOOP;
  RETURN v_pending;
END $$;

-- L4: locks of windows not seen within the TTL (a crashed client or server instance). Every
-- instance sweeps; SKIP LOCKED lets concurrent sweepers split the work.
CREATE FUNCTION tandem_sweep_dead_locks(p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_pending jsonb := '[]'::jsonb;
BEGIN
  FOR v_lock IN SELECT l.* FROM ticket_lock l
                 WHERE l.session_id IS NOT NULL AND NOT tandem_session_live(l.session_id, p_ttl)
                 ORDER BY l.conversation_id
                 FOR UPDATE OF l SKIP LOCKED LOOP
    v_pending := v_pending || tandem_let_go_lock(v_lock, '{}', p_ttl, p_actor, 'the holder went away');
  END LOOP;
  RETURN tandem_append_pending(v_pending);
END $$;

-- L6: a ticket was closed, archived, deleted or reassigned: its lock goes (unless its holder is
-- p_keep_staff, the new assignee), and every watcher of the inbox gets a note of what happened
-- (with p_only_if_held, only when a lock was released: a first assignment moves nothing). In the
-- caller's transaction: returns the events, for it to emit (tandem_route_queue appends them).
CREATE FUNCTION tandem_ticket_moved(p_org uuid, p_conversation uuid, p_inbox uuid, p_actor jsonb, p_note text,
                                    p_keep_staff uuid, p_only_if_held boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_released jsonb;
BEGIN
  SELECT * INTO v_lock FROM ticket_lock
   WHERE conversation_id = p_conversation AND session_id IS NOT NULL
     AND staff_id IS DISTINCT FROM p_keep_staff
   FOR UPDATE;
  IF FOUND THEN
    PERFORM tandem_free_lock(p_conversation);
    v_released := tandem_lock_json(v_lock);
  ELSIF p_only_if_held THEN
    RETURN '[]'::jsonb; -- nobody had it open: no note worth sending
  END IF;
  RETURN jsonb_build_array(tandem_lock_event('MOVED', p_org, p_inbox, p_conversation, v_released, p_actor, p_note));
END $$;

-- L7: the live locks of an inbox and the sequence they are current at. Under the stream's lock
-- taken exclusively, no lock operation is between its log and its commit: what has committed is
-- numbered here, and the locks and seq are then read in one statement.
CREATE FUNCTION tandem_lock_snapshot(p_org uuid, p_inbox uuid, p_ttl interval) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_stream text := tandem_stream(p_org, 'inbox', p_inbox, 'locks');
  v_sequenced jsonb := '[]'::jsonb;
  v_snapshot jsonb;
BEGIN
  PERFORM pg_advisory_xact_lock(tandem_stream_lock_key(v_stream));
  IF EXISTS (SELECT 1 FROM event_pending WHERE stream = v_stream) THEN
    v_sequenced := tandem_sequence_stream(v_stream);
  END IF;
  SELECT jsonb_build_object(
    'seq', coalesce((SELECT last_seq FROM stream_seq WHERE stream = v_stream), 0),
    'locks', coalesce((SELECT jsonb_agg(tandem_lock_json(l) ORDER BY l.acquired_at, l.conversation_id)
                         FROM ticket_lock l
                        WHERE l.inbox_id = p_inbox AND l.organization_id = p_org AND l.session_id IS NOT NULL
                          AND tandem_session_live(l.session_id, p_ttl)), '[]'::jsonb),
    'events', v_sequenced)
    INTO v_snapshot;
  RETURN v_snapshot;
END $$;
