-- The event log: events appended with their per-stream sequence, or logged pending and numbered
-- once committed.

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

-- A transaction's events, numbered as its last statement, in stream order (within a stream, in the
-- order they happened), after the streams' pending events.
CREATE FUNCTION tandem_append_events(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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

CREATE FUNCTION tandem_append_event_batch(p_pending jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
