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

-- Whether an accepted send's record moves the message to SENT: from QUEUED (as a "sent" callback
-- would), or from the PROVIDER_REMOVED failure deleteProvider gave it while the send was at the
-- provider (tandem_record_sent).
CREATE FUNCTION tandem_sent_may_record(from_state text, error_code text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT tandem_delivery_may_move(from_state, 'SENT')
      OR (from_state = 'FAILED' AND error_code IS NOT DISTINCT FROM 'PROVIDER_REMOVED')
$$;

-- C6's throttle per sender number, across instances: reserves `p_count` consecutive send slots of
-- the provider (a drain reserves one for each message it read) and answers how long to wait for
-- the first (0 when it is now); the n-th (from 0) is `p_interval_ms` * n after it. One row update
-- per batch of sends, in a statement of its own (the outbox's head read) whose commit does not
-- wait for the disk: every sender of the number takes this row, which a synchronous commit would
-- hold through its disk flush, one batch after another. A crash can lose the last reservations,
-- which only lets the next sends go a few milliseconds early. Never call it inside a transaction
-- that writes what must be durable: the setting is the transaction's.
CREATE FUNCTION tandem_reserve_send_slots(p_provider_id uuid, p_interval_ms integer, p_count integer)
RETURNS integer LANGUAGE sql AS $$
  SELECT set_config('synchronous_commit', 'off', true);
  UPDATE provider
     SET next_send_at = greatest(coalesce(next_send_at, clock_timestamp()), clock_timestamp())
                        + make_interval(secs => p_count * p_interval_ms / 1000.0)
   WHERE id = p_provider_id
  RETURNING greatest(0, ceil(extract(epoch FROM (next_send_at
                  - make_interval(secs => p_count * p_interval_ms / 1000.0) - clock_timestamp())) * 1000))::int
$$;

-- A message as an event payload carries it: the entity's fields, timestamps as JavaScript's
-- toISOString writes them (what snapshotOf makes of a Message on the server; the bigint
-- position as the string TypeORM reads it as). test/integration/campaigns/outbox.spec.ts
-- compares the two.
CREATE FUNCTION tandem_message_json(m message) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', m.id, 'organizationId', m.organization_id, 'position', m.position::text,
    'conversationId', m.conversation_id, 'direction', m.direction, 'authorKind', m.author_kind,
    'authorId', m.author_id, 'body', m.body, 'deliveryState', m.delivery_state,
    'providerId', m.provider_id, 'providerMessageId', m.provider_message_id,
    'providerTimestamp', tandem_iso(m.provider_timestamp), 'contentType', m.content_type,
    'createdAt', tandem_iso(m.created_at), 'deliveryErrorCode', m.delivery_error_code,
    'deliveryErrorReason', m.delivery_error_reason,
    'deliveryUpdatedAt', tandem_iso(m.delivery_updated_at), 'sendAttempts', m.send_attempts,
    'lastSendAttemptAt', tandem_iso(m.last_send_attempt_at), 'templateName', m.template_name,
    'templateLanguage', m.template_language)
$$;

-- C6: the provider accepted a message: its id is recorded (a recorded id is never sent again) and
-- it is SENT, as a "sent" callback would move it; a send that went through is a provider that
-- works, so a FAILING one is OK again (C1); and its DELIVERY event is logged on its inbox's
-- stream, unnumbered (tandem_append_pending: no stream row held through this commit's disk
-- flush, which every send of the campaign would otherwise queue on). A whole statement committing
-- on its own: one round trip per accepted send. Returns the streams for the sequencer to number,
-- or no row when the message is gone.
--
-- A message FAILED as PROVIDER_REMOVED while its send was at the provider (deleteProvider fails
-- every send still without a provider id) went out all the same: the provider's answer is the
-- truth, so it is SENT with its id, not left FAILED "not sent" for an agent to retry and the
-- customer to receive twice.
CREATE FUNCTION tandem_record_sent(
  p_message_id uuid, p_provider_message_id text, p_attempts integer, p_actor jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  m message;
  c conversation;
BEGIN
  UPDATE message
     SET provider_message_id = p_provider_message_id,
         send_attempts = p_attempts,
         last_send_attempt_at = now(),
         delivery_state = CASE WHEN tandem_sent_may_record(delivery_state, delivery_error_code)
                               THEN 'SENT' ELSE delivery_state END,
         delivery_error_code = CASE WHEN tandem_sent_may_record(delivery_state, delivery_error_code)
                                    THEN NULL ELSE delivery_error_code END,
         delivery_error_reason = CASE WHEN tandem_sent_may_record(delivery_state, delivery_error_code)
                                      THEN NULL ELSE delivery_error_reason END,
         delivery_updated_at = CASE WHEN tandem_sent_may_record(delivery_state, delivery_error_code)
                                    THEN now() ELSE delivery_updated_at END
   WHERE id = p_message_id
  RETURNING * INTO m;
  IF NOT FOUND THEN RETURN NULL; END IF;
  UPDATE provider SET health_state = 'OK', last_error = NULL, failing_since = NULL
   WHERE id = m.provider_id AND health_state = 'FAILING';
  SELECT * INTO c FROM conversation WHERE id = m.conversation_id;
  RETURN tandem_append_pending(jsonb_build_array(tandem_event(
    tandem_stream(c.organization_id, 'inbox', c.inbox_id, 'conversations'), c.organization_id,
    jsonb_build_object('kind', 'DELIVERY', 'actor', p_actor,
                       'conversation', tandem_conversation_json(c),
                       'message', tandem_message_json(m)))));
END
$$;
