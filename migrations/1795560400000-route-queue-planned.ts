import type { MigrationInterface, QueryRunner } from 'typeorm';
// Before: a batch routed one claim at a time.
import { ROUTE_QUEUE_HEAD as ROUTE_QUEUE_BEFORE } from './1795560200000-route-queue';

/**
 * A batch of routings from the queue is planned once instead of claimed one by one: R8 ranked
 * the inbox's 50 members and probed their windows for every routing; now the batch locks the
 * best-ranked available agents once, counts what they hold, and lays the waiting conversations
 * on them in the order R8's one-at-a-time choices would have taken. The batch's events are
 * appended per stream in one statement (a stream's sequence row is raised once per batch).
 */
export const APPEND_EVENT_BATCH = `
-- tandem_append_events for a batch of routings (dozens of events over a few streams), in one
-- statement: each stream's stream_seq row is raised once by the number of its events (rows taken
-- in stream order, so no two writers deadlock), and its events numbered from it in the order they
-- happened. A transaction's few events (a lock operation's one or two) stay with
-- tandem_append_events, one by one: for so few this statement costs more than it saves.
-- p_pending: [{stream, org, payload}]. Returns the envelopes to publish after commit.
CREATE FUNCTION tandem_append_event_batch(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_at timestamptz := date_trunc('milliseconds', clock_timestamp());
  v_appended jsonb;
BEGIN
  WITH pending AS (
    SELECT e ->> 'stream' AS stream, (e ->> 'org')::uuid AS org, e -> 'payload' AS payload, n
      FROM jsonb_array_elements(p_pending) WITH ORDINALITY AS pending(e, n)
  ), per_stream AS (
    SELECT stream, count(*) AS events FROM pending GROUP BY stream
  ), reserved AS (
    INSERT INTO stream_seq AS s (stream, last_seq)
    SELECT stream, events FROM per_stream ORDER BY stream
    ON CONFLICT (stream) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
    RETURNING s.stream, s.last_seq
  ), numbered AS (
    SELECT p.stream, p.org, p.payload, p.n,
           r.last_seq - c.events + row_number() OVER (PARTITION BY p.stream ORDER BY p.n) AS seq
      FROM pending p JOIN per_stream c USING (stream) JOIN reserved r USING (stream)
  ), logged AS (
    INSERT INTO event_log (stream, seq, organization_id, payload, at)
    SELECT stream, seq, org, payload, v_at FROM numbered ORDER BY stream, seq
    RETURNING stream, seq
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object('stream', n.stream, 'seq', n.seq, 'at', tandem_iso(v_at),
                                               'payload', n.payload) ORDER BY n.stream, n.n), '[]'::jsonb)
    INTO v_appended
    FROM numbered n JOIN logged l USING (stream, seq);
  RETURN v_appended;
END $$;
`;

const ROUTE_QUEUE = `
-- R9: the inbox's next available agents take its oldest waiting conversations, up to p_max in
-- this one statement. The plan: the best-ranked available agents (R8), as many as there are
-- conversations to route (the choices of one batch never reach further down the ranking), their
-- rows locked SKIP LOCKED (an agent another router holds is left to it) and what they hold
-- counted from the conversations themselves, which keeps capacity exact. Each agent then offers
-- one slot per conversation they can still take; R8 taking one agent at a time would fill them
-- level by level (fewest held first) and, within a level, those who were there before the batch
-- first (longest since their last assignment, then id), then those the batch brought there, in
-- the order it did: the slots in that order meet the heads in FIFO order. Returns how many were
-- routed and the events to publish.
CREATE OR REPLACE FUNCTION tandem_route_queue(p_org uuid, p_inbox uuid, p_ttl interval, p_actor jsonb, p_note text,
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

  SELECT array_agg(ranked.id) INTO v_agents FROM (
    SELECT s.id
      FROM inbox_member m
      JOIN staff s ON s.id = m.staff_id
     WHERE m.inbox_id = p_inbox AND s.organization_id = p_org
       AND s.active AND s.status = 'ONLINE' AND s.paused_at IS NULL
       AND m.open_count < v_capacity
       AND EXISTS (SELECT 1 FROM client_session w WHERE w.staff_id = s.id AND w.revoked_at IS NULL
                      AND w.expires_at > now() AND w.last_seen_at >= now() - p_ttl)
     ORDER BY m.open_count, s.last_assigned_at NULLS FIRST, s.id
     LIMIT v_waiting
     FOR UPDATE OF s SKIP LOCKED) ranked;
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
      (1, jsonb_build_object('stream', format('org:%s:inbox:%s:conversations', p_org, p_inbox), 'org', p_org,
          'payload', jsonb_build_object('kind', 'ROUTED', 'actor', p_actor, 'conversation', r.conversation))),
      (2, jsonb_build_object('stream', format('org:%s:staff:%s:assignments', p_org, r.agent), 'org', p_org,
          'payload', jsonb_build_object('kind', 'ASSIGNED', 'actor', p_actor, 'conversation', r.conversation)))
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
  RETURN jsonb_build_object('routed', cardinality(v_heads), 'events', tandem_append_event_batch(v_pending));
END $$;
`;

export class RouteQueuePlanned1795560400000 implements MigrationInterface {
  name = 'RouteQueuePlanned1795560400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(APPEND_EVENT_BATCH);
    await runner.query(ROUTE_QUEUE);
  }

  async down(runner: QueryRunner): Promise<void> {
    // The earlier text creates both functions afresh.
    await runner.query(
      'DROP FUNCTION tandem_route_queue(uuid, uuid, interval, jsonb, text, integer)',
    );
    await runner.query('DROP FUNCTION tandem_conversation_json(conversation)');
    await runner.query(ROUTE_QUEUE_BEFORE);
    await runner.query('DROP FUNCTION tandem_append_event_batch(jsonb)');
  }
}
