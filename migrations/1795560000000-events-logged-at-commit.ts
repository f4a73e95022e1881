import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A transaction logs its events in its last statement, just before it commits: a stream's
 * writers queue on its `stream_seq` row, so that row is taken as late as possible. The lock
 * functions that run inside a larger transaction (a window closing, a ticket moving) now hand
 * their events back to it instead of logging them mid-way.
 */
export const APPEND_EVENTS = `
-- Appends a transaction's events, as its last statement before commit, in stream order (within
-- a stream, in the order they happened): each stream's stream_seq row is then held only from
-- here to the commit, and every writer takes those rows in one order, so none can deadlock.
-- p_pending: [{stream, org, payload}]. Returns the envelopes to publish after commit.
CREATE FUNCTION tandem_append_events(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_event record;
  v_appended jsonb := '[]'::jsonb;
BEGIN
  FOR v_event IN
    SELECT e ->> 'stream' AS stream, (e ->> 'org')::uuid AS org, e -> 'payload' AS payload
      FROM jsonb_array_elements(p_pending) WITH ORDINALITY AS pending(e, n)
     ORDER BY 1, n
  LOOP
    v_appended := v_appended || tandem_append_event(v_event.stream, v_event.org, v_event.payload);
  END LOOP;
  RETURN v_appended;
END $$;

-- Lock events (tandem_lock_event) as events of their inbox's lock stream, still to append.
CREATE FUNCTION tandem_lock_pending(p_pending jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'stream', tandem_lock_stream((e ->> 'org')::uuid, (e ->> 'inbox')::uuid),
           'org', e -> 'org', 'payload', e -> 'payload') ORDER BY n), '[]'::jsonb)
    FROM jsonb_array_elements(p_pending) WITH ORDINALITY AS pending(e, n)
$$;

-- A lock function's own events, appended last: it has changed all its rows by then.
CREATE OR REPLACE FUNCTION tandem_append_lock_events(p_pending jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT tandem_append_events(tandem_lock_pending(p_pending))
$$;
`;

/** The functions that run inside a caller's transaction: they return their events unlogged. */
const RETURN_PENDING = `
-- L3: windows that closed, signed out or were revoked give up their ticket.
CREATE OR REPLACE FUNCTION tandem_release_session_locks(p_sessions uuid[], p_actor jsonb, p_note text) RETURNS jsonb
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
  RETURN tandem_lock_pending(v_pending);
END $$;

-- L6: a ticket was closed, archived, deleted or reassigned: its lock goes (unless its holder is
-- p_keep_staff, the new assignee), and every watcher of the inbox gets a note of what happened
-- (with p_only_if_held, only when a lock was released: a first assignment moves nothing).
CREATE OR REPLACE FUNCTION tandem_ticket_moved(p_org uuid, p_conversation uuid, p_inbox uuid, p_actor jsonb, p_note text,
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
  RETURN tandem_lock_pending(jsonb_build_array(
    tandem_lock_event('MOVED', p_org, p_inbox, p_conversation, v_released, p_actor, p_note)));
END $$;
`;

/** Before: each lock function logged its events itself, in a loop of its own. */
const APPEND_LOCK_EVENTS_BEFORE = `
CREATE OR REPLACE FUNCTION tandem_append_lock_events(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
`;

export class EventsLoggedAtCommit1795560000000 implements MigrationInterface {
  name = 'EventsLoggedAtCommit1795560000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(APPEND_EVENTS);
    await runner.query(RETURN_PENDING);
  }

  async down(runner: QueryRunner): Promise<void> {
    // The earlier bodies were these, logging their events themselves.
    await runner.query(APPEND_LOCK_EVENTS_BEFORE);
    await runner.query(
      RETURN_PENDING.replaceAll('tandem_lock_pending(', 'tandem_append_lock_events('),
    );
    await runner.query('DROP FUNCTION tandem_lock_pending(jsonb)');
    await runner.query('DROP FUNCTION tandem_append_events(jsonb)');
  }
}
