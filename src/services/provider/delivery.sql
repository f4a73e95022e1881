-- C6: a message's delivery state only moves forward, whatever order the provider's callbacks
-- arrive in: QUEUED → SENT → DELIVERED → READ, and FAILED from QUEUED or SENT only. FAILED is
-- final for a callback (an agent's retry is a new attempt, not a callback); a late "sent" never
-- moves a DELIVERED message back, a "read" before its "delivered" moves it straight to READ.
CREATE FUNCTION tandem_delivery_may_move(from_state text, to_state text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN from_state NOT IN ('QUEUED', 'SENT', 'DELIVERED', 'READ') THEN false
    WHEN to_state = 'FAILED' THEN from_state IN ('QUEUED', 'SENT')
    ELSE array_position(ARRAY['QUEUED', 'SENT', 'DELIVERED', 'READ'], to_state)
       > array_position(ARRAY['QUEUED', 'SENT', 'DELIVERED', 'READ'], from_state)
  END
$$;

-- A status callback for the message this provider knows by `provider_message_id`: no row when no
-- such message exists (yet: the send's own write may not have committed); `moved` says whether
-- the state changed (a duplicate or a late callback changes nothing).
CREATE FUNCTION tandem_apply_delivery_status(
  p_provider_id uuid, p_provider_message_id text, p_state text, p_code text, p_reason text)
RETURNS TABLE (message_id uuid, conversation_id uuid, moved boolean)
LANGUAGE plpgsql AS $$
DECLARE
  m message;
BEGIN
  SELECT * INTO m FROM message
   WHERE provider_id = p_provider_id AND provider_message_id = p_provider_message_id
   FOR UPDATE;
  IF NOT FOUND THEN RETURN; END IF;
  IF NOT tandem_delivery_may_move(m.delivery_state, p_state) THEN
    RETURN QUERY SELECT m.id, m.conversation_id, false;
    RETURN;
  END IF;
  UPDATE message
     SET delivery_state = p_state,
         delivery_error_code = CASE WHEN p_state = 'FAILED' THEN p_code END,
         delivery_error_reason = CASE WHEN p_state = 'FAILED' THEN p_reason END,
         delivery_updated_at = now()
   WHERE id = m.id;
  RETURN QUERY SELECT m.id, m.conversation_id, true;
END
$$;

-- C6's throttle per sender number, across instances: reserves the provider's next send slot and
-- answers how long to wait for it (0 when the slot is now). One row update per send, in a
-- statement of its own (the outbox's head read) whose commit does not wait for the disk: every
-- sender of the number takes this row, which a synchronous commit would hold through its disk
-- flush, one send after another. A crash can lose the last reservations, which only lets the
-- next sends go a few milliseconds early. Never call it inside a transaction that writes what
-- must be durable: the setting is the transaction's.
CREATE FUNCTION tandem_reserve_send_slot(p_provider_id uuid, p_interval_ms integer)
RETURNS integer LANGUAGE sql AS $$
  SELECT set_config('synchronous_commit', 'off', true);
  UPDATE provider
     SET next_send_at = greatest(coalesce(next_send_at, clock_timestamp()), clock_timestamp())
                        + make_interval(secs => p_interval_ms / 1000.0)
   WHERE id = p_provider_id
  RETURNING greatest(0, ceil(extract(epoch FROM (next_send_at
                  - make_interval(secs => p_interval_ms / 1000.0) - clock_timestamp())) * 1000))::int
$$;

-- C6: the provider accepted a message: its id is recorded (a recorded id is never sent again) and
-- it is SENT, as a "sent" callback would move it; a send that went through is a provider that
-- works, so a FAILING one is OK again (C1). One statement per accepted send, the message's row
-- returned for its DELIVERY event. No row when the message is gone.
CREATE FUNCTION tandem_record_sent(
  p_message_id uuid, p_provider_message_id text, p_attempts integer)
RETURNS SETOF message LANGUAGE plpgsql AS $$
DECLARE
  m message;
BEGIN
  UPDATE message
     SET provider_message_id = p_provider_message_id,
         send_attempts = p_attempts,
         last_send_attempt_at = now(),
         delivery_state = CASE WHEN tandem_delivery_may_move(delivery_state, 'SENT')
                               THEN 'SENT' ELSE delivery_state END,
         delivery_error_code = CASE WHEN tandem_delivery_may_move(delivery_state, 'SENT')
                                    THEN NULL ELSE delivery_error_code END,
         delivery_error_reason = CASE WHEN tandem_delivery_may_move(delivery_state, 'SENT')
                                      THEN NULL ELSE delivery_error_reason END,
         delivery_updated_at = CASE WHEN tandem_delivery_may_move(delivery_state, 'SENT')
                                    THEN now() ELSE delivery_updated_at END
   WHERE id = p_message_id
  RETURNING * INTO m;
  IF NOT FOUND THEN RETURN; END IF;
  UPDATE provider SET health_state = 'OK', last_error = NULL, failing_since = NULL
   WHERE id = m.provider_id AND health_state = 'FAILING';
  RETURN NEXT m;
END
$$;
