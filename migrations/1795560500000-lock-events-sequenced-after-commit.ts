import type { MigrationInterface, QueryRunner } from 'typeorm';
// Before: the appends and the snapshot as these migrations wrote them.
import { FUNCTIONS as CO_WORKING_FUNCTIONS } from './1795556027936-co-working-locks';
import { APPEND_EVENTS as APPEND_EVENTS_BEFORE } from './1795560000000-events-logged-at-commit';
import { APPEND_EVENT_BATCH as APPEND_EVENT_BATCH_BEFORE } from './1795560400000-route-queue-planned';
import { functionDefinition } from './function-definitions';

/**
 * A lock operation no longer numbers its events itself. Numbering took the inbox's `stream_seq`
 * row and held it through the commit's WAL flush, so every window of an inbox waited for the one
 * before it to reach the disk. Now the operation logs its events unnumbered (`event_pending`) and
 * commits on its own, side by side with the others; a sequencer numbers what has committed, many
 * events per run and per flush. What keeps the numbering true:
 * - an operation holds its inbox's advisory lock in shared mode from its log to its commit, and
 *   a snapshot takes it exclusively, numbers what is pending and reads the locks under it: the
 *   state it returns is exactly the events up to its seq (L7);
 * - a transaction that appends to a stream directly first numbers the stream's pending events
 *   (whatever it waited for has committed by then), so causes still come before effects;
 * - events an instance logged but never numbered (it died in between) are numbered by the
 *   sweeper of any instance.
 */
const UP = `
CREATE TABLE event_pending (
  id bigserial PRIMARY KEY,
  stream text NOT NULL,
  organization_id uuid NOT NULL,
  payload jsonb NOT NULL,
  at timestamp(3) with time zone NOT NULL
);
CREATE INDEX idx_event_pending_stream ON event_pending (stream, id);

-- The advisory lock of a stream: shared by its writers that log events unnumbered, exclusive for
-- whoever must see all of them numbered (a snapshot).
CREATE FUNCTION tandem_stream_lock_key(p_stream text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT hashtextextended(p_stream, 0)
$$;

-- Numbers a stream's committed pending events, oldest first, after its last seq (the stream_seq
-- row orders concurrent sequencers). Returns their envelopes, to publish once this commits.
CREATE FUNCTION tandem_sequence_stream(p_stream text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_last bigint;
  v_sequenced jsonb;
BEGIN
  -- Nothing to do is answered without a write (and so without a commit to wait for).
  IF NOT EXISTS (SELECT 1 FROM event_pending WHERE stream = p_stream) THEN RETURN '[]'::jsonb; END IF;
  SELECT last_seq INTO v_last FROM stream_seq WHERE stream = p_stream FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO stream_seq (stream, last_seq) VALUES (p_stream, 0) ON CONFLICT (stream) DO NOTHING;
    SELECT last_seq INTO v_last FROM stream_seq WHERE stream = p_stream FOR UPDATE;
  END IF;
  -- A new statement, so a new snapshot: every event committed before the row was ours is seen.
  WITH moved AS (
    DELETE FROM event_pending WHERE stream = p_stream RETURNING id, organization_id, payload, at
  ), numbered AS (
    SELECT organization_id, payload, at, v_last + row_number() OVER (ORDER BY id) AS seq FROM moved
  ), logged AS (
    INSERT INTO event_log (stream, seq, organization_id, payload, at)
    SELECT p_stream, seq, organization_id, payload, at FROM numbered
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object('stream', p_stream, 'seq', seq, 'at', tandem_iso(at),
                                               'payload', payload) ORDER BY seq), '[]'::jsonb)
    INTO v_sequenced FROM numbered;
  IF jsonb_array_length(v_sequenced) > 0 THEN
    UPDATE stream_seq SET last_seq = v_last + jsonb_array_length(v_sequenced) WHERE stream = p_stream;
  END IF;
  RETURN v_sequenced;
END $$;

-- Before a transaction appends to streams directly: their pending events first, in stream order
-- (the order every writer takes stream_seq rows in).
CREATE FUNCTION tandem_sequence_pending(p_streams text[]) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_stream text;
  v_sequenced jsonb := '[]'::jsonb;
BEGIN
  FOR v_stream IN
    SELECT DISTINCT s FROM unnest(p_streams) s
     WHERE EXISTS (SELECT 1 FROM event_pending p WHERE p.stream = s)
     ORDER BY 1
  LOOP
    v_sequenced := v_sequenced || tandem_sequence_stream(v_stream);
  END LOOP;
  RETURN v_sequenced;
END $$;

-- The streams whose pending events nobody has numbered for a while (their instance went away).
CREATE FUNCTION tandem_stale_pending_streams(p_age interval) RETURNS SETOF text LANGUAGE sql STABLE AS $$
  SELECT DISTINCT stream FROM event_pending WHERE at < now() - p_age
$$;

-- A lock function's own events, logged unnumbered as its last step; it holds each stream's
-- advisory lock (shared) until it commits. Returns the streams to sequence once it has.
CREATE OR REPLACE FUNCTION tandem_append_lock_events(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_streams jsonb;
BEGIN
  WITH logged AS (
    INSERT INTO event_pending (stream, organization_id, payload, at)
    SELECT tandem_lock_stream((e ->> 'org')::uuid, (e ->> 'inbox')::uuid), (e ->> 'org')::uuid, e -> 'payload',
           date_trunc('milliseconds', clock_timestamp())
      FROM jsonb_array_elements(p_pending) WITH ORDINALITY AS pending(e, n)
     ORDER BY n
    RETURNING stream
  )
  SELECT coalesce(jsonb_agg(DISTINCT stream), '[]'::jsonb) INTO v_streams FROM logged;
  PERFORM pg_advisory_xact_lock_shared(tandem_stream_lock_key(s))
     FROM jsonb_array_elements_text(v_streams) AS s ORDER BY s;
  RETURN v_streams;
END $$;

-- As before (EventsLoggedAtCommit), after numbering the streams' pending events.
CREATE OR REPLACE FUNCTION tandem_append_events(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_event record;
  v_appended jsonb := tandem_sequence_pending(ARRAY(SELECT e ->> 'stream' FROM jsonb_array_elements(p_pending) e));
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

-- L7: the live locks of an inbox and the sequence they are current at. Under the stream's lock
-- taken exclusively, no lock operation is between its log and its commit: what has committed is
-- numbered here, and the locks and seq are then read in one statement.
CREATE OR REPLACE FUNCTION tandem_lock_snapshot(p_org uuid, p_inbox uuid, p_ttl interval) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_stream text := tandem_lock_stream(p_org, p_inbox);
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
`;

/** tandem_append_event_batch (RouteQueuePlanned), after numbering the streams' pending events. */
const APPEND_EVENT_BATCH = `
CREATE OR REPLACE FUNCTION tandem_append_event_batch(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_at timestamptz := date_trunc('milliseconds', clock_timestamp());
  v_sequenced jsonb := tandem_sequence_pending(ARRAY(SELECT e ->> 'stream' FROM jsonb_array_elements(p_pending) e));
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
  RETURN v_sequenced || v_appended;
END $$;
`;

export class LockEventsSequencedAfterCommit1795560500000 implements MigrationInterface {
  name = 'LockEventsSequencedAfterCommit1795560500000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(UP);
    await runner.query(APPEND_EVENT_BATCH);
  }

  async down(runner: QueryRunner): Promise<void> {
    // Nothing may be left unnumbered where the earlier functions would not look.
    await runner.query(
      'SELECT tandem_sequence_pending(ARRAY(SELECT DISTINCT stream FROM event_pending))',
    );
    const orReplace = (sql: string) =>
      sql.replaceAll('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');
    // With tandem_append_events, the text restores tandem_append_lock_events (appending through it).
    await runner.query(orReplace(APPEND_EVENTS_BEFORE));
    await runner.query(orReplace(APPEND_EVENT_BATCH_BEFORE));
    // Every event was numbered at commit then.
    await runner.query(functionDefinition(CO_WORKING_FUNCTIONS, 'tandem_lock_snapshot'));
    await runner.query('DROP FUNCTION tandem_stale_pending_streams(interval)');
    await runner.query('DROP FUNCTION tandem_sequence_pending(text[])');
    await runner.query('DROP FUNCTION tandem_sequence_stream(text)');
    await runner.query('DROP FUNCTION tandem_stream_lock_key(text)');
    await runner.query('DROP TABLE event_pending');
  }
}
