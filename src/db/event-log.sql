-- The event log: how an event is logged, and numbered on its stream. src/db/event-store.ts is the
-- TypeScript that calls these functions.
--
-- An SQL rule logs its events one way, by building them with tandem_event and handing them to
-- whoever ends its transaction:
-- - a rule that runs inside a service's transaction returns them, the service emits them
--   (tx.emit), and the transaction's last statement appends them with tandem_append_events,
--   numbered, in one message with its COMMIT;
-- - a rule that is a whole statement committing on its own appends them itself, as its last
--   step: tandem_append_events (numbered now: a drain of the queue, one append per batch) or
--   tandem_append_pending (numbered once committed, by the sequencer: a lock operation, which
--   would otherwise hold its inbox's stream_seq row through its commit's disk flush).

-- An event still to log (PendingEvent in src/db/events.ts): its stream, organization and payload.
CREATE FUNCTION tandem_event(p_stream text, p_org uuid, p_payload jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('stream', p_stream, 'org', p_org, 'payload', p_payload)
$$;

-- Appends events numbered: each stream's stream_seq row orders the stream's writers and is held
-- from here to the commit, so this is the last statement of the transaction that made them.
-- Streams are taken in one order (by name), so no two writers deadlock; within a stream, events
-- keep the order they happened in. A stream's pending events are numbered first (whatever this
-- transaction waited for has committed by now, and causes come before effects).
-- p_events: [tandem_event]. Returns the envelopes to publish after commit: {stream, seq, at, payload}.
CREATE FUNCTION tandem_append_events(p_events jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_appended jsonb := tandem_sequence_pending(ARRAY(SELECT e ->> 'stream' FROM jsonb_array_elements(p_events) e));
  v_event record;
  v_seq bigint;
  v_at timestamptz;
  v_batch jsonb;
BEGIN
  IF jsonb_array_length(p_events) <= 2 THEN
    -- Most transactions log one or two events: one by one, that costs less than the statement below.
    FOR v_event IN
      SELECT e ->> 'stream' AS stream, (e ->> 'org')::uuid AS org, e -> 'payload' AS payload
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS pending(e, n)
       ORDER BY 1, n
    LOOP
      v_at := date_trunc('milliseconds', clock_timestamp());
      INSERT INTO stream_seq AS s (stream, last_seq) VALUES (v_event.stream, 1)
      ON CONFLICT (stream) DO UPDATE SET last_seq = s.last_seq + 1
      RETURNING last_seq INTO v_seq;
      INSERT INTO event_log (stream, seq, organization_id, payload, at)
      VALUES (v_event.stream, v_seq, v_event.org, v_event.payload, v_at);
      v_appended := v_appended || jsonb_build_object('stream', v_event.stream, 'seq', v_seq,
                                                     'at', tandem_iso(v_at), 'payload', v_event.payload);
    END LOOP;
    RETURN v_appended;
  END IF;
  -- More (a batch of routings: dozens of events over a few streams) in one statement: each
  -- stream's row is raised once by the number of its events, which are numbered from it.
  v_at := date_trunc('milliseconds', clock_timestamp());
  WITH pending AS (
    SELECT e ->> 'stream' AS stream, (e ->> 'org')::uuid AS org, e -> 'payload' AS payload, n
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS pending(e, n)
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
    INTO v_batch
    FROM numbered n JOIN logged l USING (stream, seq);
  RETURN v_appended || v_batch;
END $$;

-- Appends events unnumbered (event_pending), for a statement that commits on its own; each
-- stream's advisory lock is held shared until that commit, so that a snapshot (which takes it
-- exclusively) finds every logged event committed and numbers it first. Returns the streams, for
-- the sequencer to number (tandem_sequence_stream) once the statement has committed.
CREATE FUNCTION tandem_append_pending(p_events jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_streams jsonb;
BEGIN
  IF jsonb_array_length(p_events) = 1 THEN
    -- A lock taken or released: the one event without the set-based statement's machinery.
    INSERT INTO event_pending (stream, organization_id, payload, at)
    VALUES (p_events -> 0 ->> 'stream', (p_events -> 0 ->> 'org')::uuid, p_events -> 0 -> 'payload',
            date_trunc('milliseconds', clock_timestamp()));
    PERFORM pg_advisory_xact_lock_shared(tandem_stream_lock_key(p_events -> 0 ->> 'stream'));
    RETURN jsonb_build_array(p_events -> 0 -> 'stream');
  END IF;
  WITH logged AS (
    INSERT INTO event_pending (stream, organization_id, payload, at)
    SELECT e ->> 'stream', (e ->> 'org')::uuid, e -> 'payload', date_trunc('milliseconds', clock_timestamp())
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS pending(e, n)
     ORDER BY n
    RETURNING stream
  )
  SELECT coalesce(jsonb_agg(DISTINCT stream), '[]'::jsonb) INTO v_streams FROM logged;
  PERFORM pg_advisory_xact_lock_shared(tandem_stream_lock_key(s))
     FROM jsonb_array_elements_text(v_streams) AS s ORDER BY s;
  RETURN v_streams;
END $$;


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

-- The sequencer's own statement (src/db/stream-sequencer.ts): numbers a stream's events once
-- their writers have committed, in a transaction of its own whose commit does not wait for its
-- WAL to reach the disk (a lock operation would otherwise pay a second disk flush for its event,
-- and its watchers would wait for it). Losing this commit in a crash of PostgreSQL loses nothing:
-- it only moves rows that are durable already (their writers' commits were flushed before it ran)
-- from event_pending to event_log, and the stream_seq row with them; recovery puts them back
-- pending, and the next run (the sweeper's, a snapshot's, or the next writer's) numbers them again
-- in the same order (by id) from the same last seq, with the same `at`: the same envelopes as
-- were published. A later synchronous commit of any writer flushes this one too.
CREATE FUNCTION tandem_sequence_committed(p_stream text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  RETURN tandem_sequence_stream(p_stream);
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
-- Every instance asks every second, so the answer "none" must cost next to nothing: the oldest
-- pending event (lowest id, through the primary key) is looked at first, and the table is read
-- only when that one is old. event_pending gets a row inserted and deleted per lock operation,
-- so between vacuums it is large and mostly dead; the planner then chose a parallel scan, and
-- launching its worker cost 25-40 ms a call on this machine (issue 20: 26 calls in 6 s of lock
-- operations took 130-1,000 ms of Postgres time). Ids and times are taken in the same INSERT, so
-- the lowest id is the oldest event; one committed late (an old time under a low id) is then the
-- lowest id, and found.
CREATE FUNCTION tandem_stale_pending_streams(p_age interval) RETURNS SETOF text LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF (SELECT o.at FROM event_pending o ORDER BY o.id LIMIT 1) < now() - p_age THEN
    RETURN QUERY SELECT DISTINCT stream FROM event_pending WHERE at < now() - p_age;
  END IF;
END $$;
