import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The co-working rules that must be atomic across instances, one statement per operation:
 * each function checks, changes the lock, and logs its events (with their per-inbox sequence)
 * in the calling statement. Lock events go to the stream `org:{org}:inbox:{inbox}:locks`.
 */
export const FUNCTIONS = `
CREATE FUNCTION tandem_iso(ts timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Appends an event and hands out its sequence number; the stream_seq row lock orders a
-- stream's writers until they commit. Returns the envelope to publish after commit.
CREATE FUNCTION tandem_append_event(p_stream text, p_org uuid, p_payload jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint;
  v_at timestamptz := date_trunc('milliseconds', clock_timestamp());
BEGIN
  INSERT INTO stream_seq AS s (stream, last_seq) VALUES (p_stream, 1)
  ON CONFLICT (stream) DO UPDATE SET last_seq = s.last_seq + 1
  RETURNING last_seq INTO v_seq;
  INSERT INTO event_log (stream, seq, organization_id, payload, at) VALUES (p_stream, v_seq, p_org, p_payload, v_at);
  RETURN jsonb_build_object('stream', p_stream, 'seq', v_seq, 'at', tandem_iso(v_at), 'payload', p_payload);
END $$;

CREATE FUNCTION tandem_lock_stream(p_org uuid, p_inbox uuid) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format('org:%s:inbox:%s:locks', p_org, p_inbox)
$$;

-- A window is alive while it is not revoked nor expired and was seen within the TTL.
CREATE FUNCTION tandem_session_live(p_session uuid, p_ttl interval) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM client_session s WHERE s.id = p_session AND s.revoked_at IS NULL
                    AND s.expires_at > now() AND s.last_seen_at >= now() - p_ttl)
$$;

-- A lock as the API shows it; the holder is a snapshot of the staff member (never their secrets).
CREATE FUNCTION tandem_lock_json(l ticket_lock) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'conversationId', l.conversation_id, 'inboxId', l.inbox_id, 'sessionId', l.session_id,
    'token', l.token, 'acquiredAt', tandem_iso(l.acquired_at),
    'holder', (SELECT jsonb_build_object('id', s.id, 'organizationId', s.organization_id, 'name', s.name,
                 'email', s.email, 'role', s.role, 'active', s.active, 'status', s.status,
                 'defaultInboxId', s.default_inbox_id, 'createdAt', tandem_iso(s.created_at))
                 FROM staff s WHERE s.id = l.staff_id))
$$;

-- A lock event to append once the calling function has changed all its rows.
CREATE FUNCTION tandem_lock_event(p_kind text, p_org uuid, p_inbox uuid, p_conversation uuid,
                                  p_lock jsonb, p_actor jsonb, p_note text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('org', p_org, 'inbox', p_inbox, 'payload',
    jsonb_build_object('kind', p_kind, 'conversationId', p_conversation, 'lock', p_lock,
                       'actor', p_actor, 'note', p_note))
$$;

-- Appends a function's pending lock events, last and in stream order (within a stream, in the
-- order they happened): taking the stream_seq row locks after every ticket_lock row lock, and
-- in one order, keeps concurrent lock operations from deadlocking.
CREATE FUNCTION tandem_append_lock_events(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_event record;
  v_appended jsonb := '[]'::jsonb;
BEGIN
  FOR v_event IN
    SELECT tandem_lock_stream((e ->> 'org')::uuid, (e ->> 'inbox')::uuid) AS stream, (e ->> 'org')::uuid AS org,
           e -> 'payload' AS payload
      FROM jsonb_array_elements(p_pending) WITH ORDINALITY AS pending(e, n)
     ORDER BY 1, n
  LOOP
    v_appended := v_appended || tandem_append_event(v_event.stream, v_event.org, v_event.payload);
  END LOOP;
  RETURN v_appended;
END $$;

CREATE FUNCTION tandem_free_lock(p_conversation uuid) RETURNS void LANGUAGE sql AS $$
  UPDATE ticket_lock SET session_id = NULL, staff_id = NULL, acquired_at = NULL WHERE conversation_id = p_conversation
$$;

-- NOT_FOUND unless the conversation is the organization's and the caller sees it (L11).
CREATE FUNCTION tandem_visible_ticket(p_org uuid, p_conversation uuid, p_staff uuid, p_sees_all boolean)
RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT c.inbox_id FROM conversation c
   WHERE c.id = p_conversation AND c.organization_id = p_org AND c.deleted_at IS NULL
     AND (p_sees_all OR c.assignee_id = p_staff
          OR EXISTS (SELECT 1 FROM inbox_member m WHERE m.inbox_id = c.inbox_id AND m.staff_id = p_staff))
$$;

-- L1, L2, L8, L9, L10: the window (its client_session row already locked by the caller) takes
-- a ticket of p_inbox: it gives up the ticket it held, and takes this one if it is free, held by
-- a dead window, or held by another window of the same person; each acquisition gets the next
-- fencing token. Returns the outcome and the events still to append.
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
    PERFORM tandem_free_lock(v_previous.conversation_id);
    v_pending := v_pending || tandem_lock_event('RELEASED', p_org, v_previous.inbox_id, v_previous.conversation_id,
                                                tandem_lock_json(v_previous), p_actor, 'opened another ticket');
  END IF;

  INSERT INTO ticket_lock AS l (conversation_id, organization_id, inbox_id, session_id, staff_id, token, acquired_at)
  VALUES (p_conversation, p_org, p_inbox, p_session, p_staff, 1, now())
  ON CONFLICT (conversation_id) DO UPDATE
     SET session_id = EXCLUDED.session_id, staff_id = EXCLUDED.staff_id, inbox_id = EXCLUDED.inbox_id,
         token = l.token + 1, acquired_at = EXCLUDED.acquired_at
   WHERE l.session_id IS NULL OR l.staff_id = EXCLUDED.staff_id OR NOT tandem_session_live(l.session_id, p_ttl)
  RETURNING * INTO v_lock;
  IF FOUND THEN
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

-- The window opens a ticket: it enters the ticket's inbox and takes the ticket (above).
CREATE FUNCTION tandem_open_ticket(p_org uuid, p_conversation uuid, p_session uuid, p_staff uuid,
                                   p_sees_all boolean, p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_inbox uuid := tandem_visible_ticket(p_org, p_conversation, p_staff, p_sees_all);
  v_taken jsonb;
BEGIN
  IF v_inbox IS NULL THEN RETURN jsonb_build_object('outcome', 'NOT_FOUND'); END IF;
  IF NOT tandem_hold_window(p_session, v_inbox) THEN RETURN jsonb_build_object('outcome', 'SESSION_ENDED'); END IF;
  v_taken := tandem_take_ticket(p_org, p_conversation, v_inbox, p_session, p_staff, p_ttl, p_actor);
  RETURN jsonb_build_object('outcome', v_taken -> 'outcome', 'lock', v_taken -> 'lock',
                            'events', tandem_append_lock_events(v_taken -> 'pending'));
END $$;

-- L3: the window lets go of a ticket it (or another window of the same person) holds.
CREATE FUNCTION tandem_release_ticket(p_org uuid, p_conversation uuid, p_session uuid, p_staff uuid,
                                      p_sees_all boolean, p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_json jsonb;
BEGIN
  IF tandem_visible_ticket(p_org, p_conversation, p_staff, p_sees_all) IS NULL THEN
    RETURN jsonb_build_object('outcome', 'NOT_FOUND');
  END IF;
  SELECT * INTO v_lock FROM ticket_lock WHERE conversation_id = p_conversation AND session_id IS NOT NULL FOR UPDATE;
  IF NOT FOUND THEN RETURN jsonb_build_object('outcome', 'NOT_HELD', 'events', '[]'::jsonb); END IF;
  v_json := tandem_lock_json(v_lock);
  IF v_lock.session_id <> p_session AND v_lock.staff_id IS DISTINCT FROM p_staff
     AND tandem_session_live(v_lock.session_id, p_ttl) THEN
    RETURN jsonb_build_object('outcome', 'LOCKED_BY_OTHER', 'lock', v_json);
  END IF;
  PERFORM tandem_free_lock(p_conversation);
  RETURN jsonb_build_object('outcome', 'RELEASED', 'lock', v_json, 'events',
    tandem_append_lock_events(jsonb_build_array(
      tandem_lock_event('RELEASED', p_org, v_lock.inbox_id, p_conversation, v_json, p_actor, NULL))));
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
    RETURN jsonb_build_object('outcome', 'RELEASED', 'events', tandem_append_lock_events(v_pending));
  END IF;
  v_taken := tandem_take_ticket(p_org, p_conversation, v_inbox, p_session, p_staff, p_ttl, p_actor);
  RETURN jsonb_build_object('outcome', v_taken -> 'outcome', 'lock', v_taken -> 'lock',
                            'events', tandem_append_lock_events(v_pending || (v_taken -> 'pending')));
END $$;

-- L3: the window enters an inbox (NULL: leaves the inbox); a lock outside it is released.
CREATE FUNCTION tandem_enter_inbox(p_session uuid, p_inbox uuid, p_actor jsonb, p_note text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_pending jsonb := '[]'::jsonb;
BEGIN
  UPDATE client_session SET inbox_id = p_inbox, last_seen_at = now()
   WHERE id = p_session AND revoked_at IS NULL AND expires_at > now();
  IF NOT FOUND THEN RETURN jsonb_build_object('outcome', 'SESSION_ENDED'); END IF;
  FOR v_lock IN SELECT * FROM ticket_lock WHERE session_id = p_session AND inbox_id IS DISTINCT FROM p_inbox FOR UPDATE LOOP
    PERFORM tandem_free_lock(v_lock.conversation_id);
    v_pending := v_pending || tandem_lock_event('RELEASED', v_lock.organization_id, v_lock.inbox_id,
                                                v_lock.conversation_id, tandem_lock_json(v_lock), p_actor, p_note);
  END LOOP;
  RETURN jsonb_build_object('outcome', 'ENTERED', 'events', tandem_append_lock_events(v_pending));
END $$;

-- L3: windows that closed, signed out or were revoked give up their ticket.
CREATE FUNCTION tandem_release_session_locks(p_sessions uuid[], p_actor jsonb, p_note text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_pending jsonb := '[]'::jsonb;
BEGIN
  FOR v_lock IN SELECT * FROM ticket_lock WHERE session_id = ANY (p_sessions) ORDER BY conversation_id FOR UPDATE LOOP
    PERFORM tandem_free_lock(v_lock.conversation_id);
    v_pending := v_pending || tandem_lock_event('RELEASED', v_lock.organization_id, v_lock.inbox_id,
                                                v_lock.conversation_id, tandem_lock_json(v_lock), p_actor, p_note);
  END LOOP;
  RETURN tandem_append_lock_events(v_pending);
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
    PERFORM tandem_free_lock(v_lock.conversation_id);
    v_pending := v_pending || tandem_lock_event('RELEASED', v_lock.organization_id, v_lock.inbox_id,
                                                v_lock.conversation_id, tandem_lock_json(v_lock), p_actor,
                                                'the holder went away');
  END LOOP;
  RETURN tandem_append_lock_events(v_pending);
END $$;

-- L6: a ticket was closed, archived, deleted or reassigned: its lock goes (unless its holder is
-- p_keep_staff, the new assignee), and every watcher of the inbox gets a note of what happened
-- (with p_only_if_held, only when a lock was released: a first assignment moves nothing).
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
  RETURN tandem_append_lock_events(jsonb_build_array(
    tandem_lock_event('MOVED', p_org, p_inbox, p_conversation, v_released, p_actor, p_note)));
END $$;

-- L7: the live locks of an inbox and the sequence they are current at, read in one snapshot.
CREATE FUNCTION tandem_lock_snapshot(p_org uuid, p_inbox uuid, p_ttl interval) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'seq', coalesce((SELECT last_seq FROM stream_seq WHERE stream = tandem_lock_stream(p_org, p_inbox)), 0),
    'locks', coalesce((SELECT jsonb_agg(tandem_lock_json(l) ORDER BY l.acquired_at, l.conversation_id)
                         FROM ticket_lock l
                        WHERE l.inbox_id = p_inbox AND l.organization_id = p_org AND l.session_id IS NOT NULL
                          AND tandem_session_live(l.session_id, p_ttl)), '[]'::jsonb))
$$;
`;

const DROP_FUNCTIONS = [
  'tandem_lock_snapshot(uuid, uuid, interval)',
  'tandem_ticket_moved(uuid, uuid, uuid, jsonb, text, uuid, boolean)',
  'tandem_sweep_dead_locks(interval, jsonb)',
  'tandem_release_session_locks(uuid[], jsonb, text)',
  'tandem_enter_inbox(uuid, uuid, jsonb, text)',
  'tandem_force_release_ticket(uuid, uuid, uuid, uuid, boolean, interval, jsonb)',
  'tandem_release_ticket(uuid, uuid, uuid, uuid, boolean, interval, jsonb)',
  'tandem_open_ticket(uuid, uuid, uuid, uuid, boolean, interval, jsonb)',
  'tandem_hold_window(uuid, uuid)',
  'tandem_take_ticket(uuid, uuid, uuid, uuid, uuid, interval, jsonb)',
  'tandem_visible_ticket(uuid, uuid, uuid, boolean)',
  'tandem_free_lock(uuid)',
  'tandem_append_lock_events(jsonb)',
  'tandem_lock_event(text, uuid, uuid, uuid, jsonb, jsonb, text)',
  'tandem_lock_json(ticket_lock)',
  'tandem_session_live(uuid, interval)',
  'tandem_lock_stream(uuid, uuid)',
  'tandem_append_event(text, uuid, jsonb)',
  'tandem_iso(timestamptz)',
];

export class CoWorkingLocks1795556027936 implements MigrationInterface {
  name = 'CoWorkingLocks1795556027936';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "ticket_lock" ("conversation_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "inbox_id" uuid NOT NULL, "session_id" uuid, "staff_id" uuid, "token" bigint NOT NULL DEFAULT '0', "acquired_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_ticket_lock" PRIMARY KEY ("conversation_id"))`,
    );
    await runner.query(
      `CREATE INDEX "idx_ticket_lock_inbox_id" ON "ticket_lock"  ("inbox_id") WHERE session_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "uq_ticket_lock_session_id" ON "ticket_lock"  ("session_id") WHERE session_id IS NOT NULL`,
    );
    await runner.query(`ALTER TABLE "client_session" ADD "inbox_id" uuid`);
    await runner.query(
      `ALTER TABLE "client_session" ADD CONSTRAINT "fk_client_session_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_inbox_id" FOREIGN KEY ("inbox_id") REFERENCES "inbox"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_session_id" FOREIGN KEY ("session_id") REFERENCES "client_session"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" ADD CONSTRAINT "fk_ticket_lock_staff_id" FOREIGN KEY ("staff_id") REFERENCES "staff"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await runner.query(FUNCTIONS);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const fn of DROP_FUNCTIONS) await runner.query(`DROP FUNCTION ${fn}`);
    await runner.query(`ALTER TABLE "ticket_lock" DROP CONSTRAINT "fk_ticket_lock_staff_id"`);
    await runner.query(`ALTER TABLE "ticket_lock" DROP CONSTRAINT "fk_ticket_lock_session_id"`);
    await runner.query(`ALTER TABLE "ticket_lock" DROP CONSTRAINT "fk_ticket_lock_inbox_id"`);
    await runner.query(
      `ALTER TABLE "ticket_lock" DROP CONSTRAINT "fk_ticket_lock_organization_id"`,
    );
    await runner.query(
      `ALTER TABLE "ticket_lock" DROP CONSTRAINT "fk_ticket_lock_conversation_id"`,
    );
    await runner.query(`ALTER TABLE "client_session" DROP CONSTRAINT "fk_client_session_inbox_id"`);
    await runner.query(`ALTER TABLE "client_session" DROP COLUMN "inbox_id"`);
    await runner.query(`DROP INDEX "public"."uq_ticket_lock_session_id"`);
    await runner.query(`DROP INDEX "public"."idx_ticket_lock_inbox_id"`);
    await runner.query(`DROP TABLE "ticket_lock"`);
  }
}
