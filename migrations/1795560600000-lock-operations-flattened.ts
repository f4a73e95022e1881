import type { MigrationInterface, QueryRunner } from 'typeorm';
import { FUNCTIONS as CO_WORKING_FUNCTIONS } from './1795556027936-co-working-locks';
import { functionDefinition } from './function-definitions';

/**
 * openTicket and releaseTicket, the console's hot path, with fewer nested calls: each nested
 * PL/pgSQL function, and each SQL function Postgres does not inline, sets up its own executor on
 * every call. Same rules, same results, same events. So:
 * - a window that holds no ticket takes one without tandem_take_ticket (which first gives up the
 *   ticket held); both take it with tandem_acquire_ticket, the acquisition statement alone;
 * - a lock's one event is logged by tandem_log_lock_event, the single-event case of
 *   tandem_append_lock_events;
 * - tandem_iso, tandem_lock_stream and tandem_lock_event are declared STABLE, as volatile as
 *   to_char, format and jsonb_build_object they call: Postgres then inlines them;
 * - tandem_visible_ticket and tandem_lock_json become PL/pgSQL, so their lookups are planned once
 *   per connection instead of on every call.
 */
const UP = `
ALTER FUNCTION tandem_iso(timestamptz) STABLE;
ALTER FUNCTION tandem_lock_stream(uuid, uuid) STABLE;
ALTER FUNCTION tandem_lock_event(text, uuid, uuid, uuid, jsonb, jsonb, text) STABLE;

CREATE OR REPLACE FUNCTION tandem_lock_json(l ticket_lock) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN jsonb_build_object(
    'conversationId', l.conversation_id, 'inboxId', l.inbox_id, 'sessionId', l.session_id,
    'token', l.token, 'acquiredAt', tandem_iso(l.acquired_at),
    'holder', (SELECT jsonb_build_object('id', s.id, 'organizationId', s.organization_id, 'name', s.name,
                 'email', s.email, 'role', s.role, 'active', s.active, 'status', s.status,
                 'defaultInboxId', s.default_inbox_id, 'createdAt', tandem_iso(s.created_at))
                 FROM staff s WHERE s.id = l.staff_id));
END $$;

-- One lock event, logged unnumbered as its function's last step (see tandem_append_lock_events).
-- Returns its stream, to sequence once the transaction has committed.
CREATE FUNCTION tandem_log_lock_event(p_kind text, p_org uuid, p_inbox uuid, p_conversation uuid,
                                      p_lock jsonb, p_actor jsonb, p_note text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_stream text := tandem_lock_stream(p_org, p_inbox);
BEGIN
  INSERT INTO event_pending (stream, organization_id, payload, at)
  VALUES (v_stream, p_org, tandem_lock_event(p_kind, p_org, p_inbox, p_conversation, p_lock, p_actor, p_note) -> 'payload',
          date_trunc('milliseconds', clock_timestamp()));
  PERFORM pg_advisory_xact_lock_shared(tandem_stream_lock_key(v_stream));
  RETURN jsonb_build_array(v_stream);
END $$;

-- NOT_FOUND unless the conversation is the organization's and the caller sees it (L11).
CREATE OR REPLACE FUNCTION tandem_visible_ticket(p_org uuid, p_conversation uuid, p_staff uuid, p_sees_all boolean)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT c.inbox_id FROM conversation c
           WHERE c.id = p_conversation AND c.organization_id = p_org AND c.deleted_at IS NULL
             AND (p_sees_all OR c.assignee_id = p_staff
                  OR EXISTS (SELECT 1 FROM inbox_member m WHERE m.inbox_id = c.inbox_id AND m.staff_id = p_staff)));
END $$;

-- L1, L9, L10: the window takes the ticket if it is free, held by a dead window or by another window
-- of the same person, with the next fencing token. Returns the lock, or a row of NULLs when another
-- person's live window holds it.
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
         token = l.token + 1, acquired_at = EXCLUDED.acquired_at
   WHERE l.session_id IS NULL OR l.staff_id = EXCLUDED.staff_id OR NOT tandem_session_live(l.session_id, p_ttl)
  RETURNING * INTO v_lock;
  RETURN v_lock;
END $$;

-- As CoWorkingLocks wrote it, the acquisition now tandem_acquire_ticket's.
CREATE OR REPLACE FUNCTION tandem_take_ticket(p_org uuid, p_conversation uuid, p_inbox uuid, p_session uuid, p_staff uuid,
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
  v_lock := tandem_acquire_ticket(p_org, p_conversation, p_inbox, p_session, p_staff, p_ttl);
  IF v_lock.conversation_id IS NOT NULL THEN
    v_json := tandem_lock_json(v_lock);
    v_pending := v_pending || tandem_lock_event('LOCKED', p_org, p_inbox, p_conversation, v_json, p_actor, NULL);
    RETURN jsonb_build_object('outcome', 'ACQUIRED', 'lock', v_json, 'pending', v_pending);
  END IF;
  SELECT * INTO v_lock FROM ticket_lock WHERE conversation_id = p_conversation;
  RETURN jsonb_build_object('outcome', 'LOCKED_BY_OTHER', 'lock', tandem_lock_json(v_lock), 'pending', v_pending);
END $$;

-- The window opens a ticket (L1, L2, L8, L9, L10, L11): it must see the ticket, it enters the
-- ticket's inbox (its client_session row stays locked: two clicks of one window take turns),
-- and takes the ticket if it is free, held by a dead window or by another window of the same
-- person. A window that holds another ticket goes through tandem_take_ticket, which releases it.
CREATE OR REPLACE FUNCTION tandem_open_ticket(p_org uuid, p_conversation uuid, p_session uuid, p_staff uuid,
                                              p_sees_all boolean, p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_inbox uuid := tandem_visible_ticket(p_org, p_conversation, p_staff, p_sees_all);
  v_lock ticket_lock;
  v_json jsonb;
  v_taken jsonb;
BEGIN
  IF v_inbox IS NULL THEN RETURN '{"outcome": "NOT_FOUND"}'; END IF;
  UPDATE client_session SET last_seen_at = now(), inbox_id = v_inbox
   WHERE id = p_session AND revoked_at IS NULL AND expires_at > now();
  IF NOT FOUND THEN RETURN '{"outcome": "SESSION_ENDED"}'; END IF;

  IF EXISTS (SELECT 1 FROM ticket_lock WHERE session_id = p_session) THEN
    v_taken := tandem_take_ticket(p_org, p_conversation, v_inbox, p_session, p_staff, p_ttl, p_actor);
    RETURN jsonb_build_object('outcome', v_taken -> 'outcome', 'lock', v_taken -> 'lock',
                              'events', tandem_append_lock_events(v_taken -> 'pending'));
  END IF;

  v_lock := tandem_acquire_ticket(p_org, p_conversation, v_inbox, p_session, p_staff, p_ttl);
  IF v_lock.conversation_id IS NULL THEN
    SELECT * INTO v_lock FROM ticket_lock WHERE conversation_id = p_conversation;
    RETURN jsonb_build_object('outcome', 'LOCKED_BY_OTHER', 'lock', tandem_lock_json(v_lock), 'events', '[]'::jsonb);
  END IF;
  v_json := tandem_lock_json(v_lock);
  RETURN jsonb_build_object('outcome', 'ACQUIRED', 'lock', v_json, 'events',
    tandem_log_lock_event('LOCKED', p_org, v_inbox, p_conversation, v_json, p_actor, NULL));
END $$;

-- L3: the window lets go of a ticket it (or another window of the same person) holds.
CREATE OR REPLACE FUNCTION tandem_release_ticket(p_org uuid, p_conversation uuid, p_session uuid, p_staff uuid,
                                                 p_sees_all boolean, p_ttl interval, p_actor jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_lock ticket_lock;
  v_json jsonb;
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
  UPDATE ticket_lock SET session_id = NULL, staff_id = NULL, acquired_at = NULL WHERE conversation_id = p_conversation;
  RETURN jsonb_build_object('outcome', 'RELEASED', 'lock', v_json, 'events',
    tandem_log_lock_event('RELEASED', p_org, v_lock.inbox_id, p_conversation, v_json, p_actor, NULL));
END $$;
`;

export class LockOperationsFlattened1795560600000 implements MigrationInterface {
  name = 'LockOperationsFlattened1795560600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(UP);
  }

  async down(runner: QueryRunner): Promise<void> {
    const before = [
      'tandem_open_ticket',
      'tandem_release_ticket',
      'tandem_take_ticket',
      'tandem_visible_ticket',
      'tandem_lock_json',
    ];
    for (const name of before) await runner.query(functionDefinition(CO_WORKING_FUNCTIONS, name));
    await runner.query(
      'DROP FUNCTION tandem_acquire_ticket(uuid, uuid, uuid, uuid, uuid, interval)',
    );
    await runner.query(
      'DROP FUNCTION tandem_log_lock_event(text, uuid, uuid, uuid, jsonb, jsonb, text)',
    );
    await runner.query(`
      ALTER FUNCTION tandem_lock_event(text, uuid, uuid, uuid, jsonb, jsonb, text) IMMUTABLE;
      ALTER FUNCTION tandem_lock_stream(uuid, uuid) IMMUTABLE;
      ALTER FUNCTION tandem_iso(timestamptz) IMMUTABLE;
    `);
  }
}
