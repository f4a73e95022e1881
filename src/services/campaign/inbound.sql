-- C3: the contact of a number that wrote to one of the organization's provider numbers; an
-- unknown number becomes a customer named `p_name` with that phone, and that contact. The
-- caller holds the number's lock for the provider (tandem_inbound_receive: one number of one
-- provider at a time, so two first messages of a new customer arriving at once, or a message and
-- an agent's outgoing start (C16), make one customer and one interaction).
CREATE FUNCTION tandem_inbound_contact(p_organization_id uuid, p_number text, p_name text)
RETURNS SETOF contact LANGUAGE plpgsql AS $$
DECLARE
  v_contact contact;
  v_customer_id uuid;
BEGIN
  SELECT * INTO v_contact FROM contact
   WHERE organization_id = p_organization_id AND kind = 'PHONE' AND value = p_number;
  IF NOT FOUND THEN
    INSERT INTO customer (organization_id, name, phone)
    VALUES (p_organization_id, p_name, p_number)
    RETURNING id INTO v_customer_id;
    -- Another provider of the organization adding this number at this moment fails this
    -- transaction on the unique contact (its job is retried, and finds the contact).
    INSERT INTO contact (organization_id, customer_id, kind, value)
    VALUES (p_organization_id, v_customer_id, 'PHONE', p_number)
    RETURNING * INTO v_contact;
  END IF;
  RETURN NEXT v_contact;
END $$;

-- C3: the customer messages of one delivery, stored in one statement that commits on its own:
-- their numbers locked for the provider (`lock_key`: inboundLockKey in inbound.store.ts, the key
-- an agent's outgoing start takes too), then for each message in order its contact (made with its
-- customer when unknown), the interaction it joins (the open one of that number in the campaign;
-- for a disabled campaign, the closed one keeping what arrived while it was disabled) or a new
-- one (waiting in the queue from now, or closed at once when the campaign is disabled: never
-- queued, never lost), the message, the interaction's last message time and reply window (which
-- only moves later), and their events, appended numbered at the end (tandem_append_events: one
-- statement, published as soon as it returns). The campaign is the provider's enabled one, else
-- the one it last served; none: NULL, nothing written.
--
-- A provider message id is stored once: the message's INSERT ... ON CONFLICT DO NOTHING on its
-- unique index is the one guard (no look first); when it finds the message stored, that
-- message's writes (a new interaction, a new customer) are undone with it (its own block) and
-- the stored message is answered with `duplicate` true. With `p_webhook_id`, the delivery it
-- came in is marked processed in the same commit, so a job run again after a crash finds it done.
--
-- p_messages: [{lock_key, from (E.164), name, body, provider_message_id, provider_timestamp,
-- content_type, window_closes_at}]. Returns {results: [{conversationId, messageId, duplicate}]
-- in the order given, events: the envelopes to publish}.
CREATE FUNCTION tandem_inbound_receive(
  p_provider_id uuid, p_messages jsonb, p_actor jsonb, p_webhook_id uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  k campaign;
  v_item jsonb;
  v_contact contact;
  c conversation;
  m message;
  v_new boolean;
  v_inbox_stream text;
  v_message_event jsonb;
  v_events jsonb := '[]'::jsonb;
  v_results jsonb := '[]'::jsonb;
BEGIN
  SELECT * INTO k FROM campaign WHERE provider_id = p_provider_id
   ORDER BY enabled DESC, updated_at DESC LIMIT 1;
  IF NOT FOUND THEN RETURN NULL; END IF;
  v_inbox_stream := tandem_stream(k.organization_id, 'inbox', k.inbox_id, 'conversations');
  -- Every number of the delivery locked first, in one order (two deliveries naming the same
  -- numbers never wait for each other crosswise); the statements after it see what each number's
  -- previous holder committed (a new snapshot each).
  PERFORM pg_advisory_xact_lock(hashtextextended(lock_key, 0))
     FROM (SELECT DISTINCT e ->> 'lock_key' AS lock_key FROM jsonb_array_elements(p_messages) e) held
    ORDER BY lock_key;
  FOR v_item IN SELECT e FROM jsonb_array_elements(p_messages) WITH ORDINALITY AS given(e, n) ORDER BY n
  LOOP
    BEGIN
      SELECT * INTO v_contact
        FROM tandem_inbound_contact(k.organization_id, v_item ->> 'from', v_item ->> 'name');
      SELECT * INTO c FROM conversation
       WHERE campaign_id = k.id AND contact_id = v_contact.id
         AND (status = 'OPEN'
              OR (NOT k.enabled AND status = 'CLOSED' AND routing_reason = 'CAMPAIGN_DISABLED'))
       ORDER BY status = 'OPEN' DESC, created_at DESC
       LIMIT 1
         FOR UPDATE;
      v_new := NOT FOUND;
      IF v_new THEN
        INSERT INTO conversation (organization_id, customer_id, contact_id, channel, inbox_id,
            campaign_id, assignee_id, status, closed_at, direction, subject, routing_reason,
            waiting_since, last_message_at, reply_window_closes_at)
        VALUES (k.organization_id, v_contact.customer_id, v_contact.id, 'WHATSAPP', k.inbox_id,
                k.id, NULL, CASE WHEN k.enabled THEN 'OPEN' ELSE 'CLOSED' END,
                CASE WHEN k.enabled THEN NULL ELSE now() END, 'INCOMING', NULL,
                CASE WHEN k.enabled THEN 'QUEUE' ELSE 'CAMPAIGN_DISABLED' END,
                CASE WHEN k.enabled THEN now() END, now(),
                (v_item ->> 'window_closes_at')::timestamptz)
        RETURNING * INTO c;
      END IF;
      INSERT INTO message (organization_id, conversation_id, direction, author_kind, author_id,
          body, delivery_state, provider_id, provider_message_id, provider_timestamp, content_type)
      VALUES (k.organization_id, c.id, 'INCOMING', 'CUSTOMER', NULL, v_item ->> 'body', 'RECEIVED',
              p_provider_id, v_item ->> 'provider_message_id',
              (v_item ->> 'provider_timestamp')::timestamptz, v_item ->> 'content_type')
      ON CONFLICT (provider_id, provider_message_id)
        WHERE provider_id IS NOT NULL AND provider_message_id IS NOT NULL
        DO NOTHING
      RETURNING * INTO m;
      IF NOT FOUND THEN
        RAISE SQLSTATE 'TD409' USING MESSAGE = 'provider message already stored';
      END IF;
      IF v_new THEN
        v_events := v_events || jsonb_build_array(tandem_event(v_inbox_stream, k.organization_id,
          jsonb_build_object('kind', 'CREATED', 'actor', p_actor,
                             'conversation', tandem_conversation_json(c))));
        IF k.enabled THEN
          v_events := v_events || jsonb_build_array(
            tandem_event(v_inbox_stream, k.organization_id,
              jsonb_build_object('kind', 'QUEUED', 'actor', p_actor,
                                 'conversation', tandem_conversation_json(c))),
            tandem_event(tandem_stream(k.organization_id, 'campaign', k.id, 'queue'), k.organization_id,
              jsonb_build_object('kind', 'ARRIVED', 'campaignId', k.id, 'actor', p_actor,
                'interaction', jsonb_build_object(
                  'conversationId', c.id, 'campaignId', k.id, 'customerId', c.customer_id,
                  'number', v_contact.value,
                  'waitingSince', tandem_iso(coalesce(c.waiting_since, c.created_at))))));
        END IF;
      ELSE
        UPDATE conversation
           SET last_message_at = m.created_at, updated_at = now(),
               reply_window_closes_at = greatest(reply_window_closes_at,
                                                 (v_item ->> 'window_closes_at')::timestamptz)
         WHERE id = c.id
        RETURNING * INTO c;
      END IF;
      v_message_event := jsonb_build_object('kind', 'MESSAGE', 'actor', p_actor,
                                            'conversation', tandem_conversation_json(c),
                                            'message', tandem_message_json(m));
      v_events := v_events || jsonb_build_array(
        tandem_event(v_inbox_stream, k.organization_id, v_message_event));
      -- C10: a message of an interaction an agent has is logged on the agent's message stream
      -- too, the one `spy(agentId)` follows (as conversation-events.ts' emitAgentMessage does
      -- for the messages the services write).
      IF c.assignee_id IS NOT NULL THEN
        v_events := v_events || jsonb_build_array(tandem_event(
          tandem_stream(k.organization_id, 'staff', c.assignee_id, 'messages'), k.organization_id,
          v_message_event));
      END IF;
      v_results := v_results || jsonb_build_array(jsonb_build_object(
        'conversationId', c.id, 'messageId', m.id, 'duplicate', false));
    EXCEPTION WHEN SQLSTATE 'TD409' THEN
      -- Stored before (it waited for that commit): answered as stored, nothing of this one kept.
      SELECT * INTO m FROM message
       WHERE provider_id = p_provider_id AND provider_message_id = v_item ->> 'provider_message_id';
      v_results := v_results || jsonb_build_array(jsonb_build_object(
        'conversationId', m.conversation_id, 'messageId', m.id, 'duplicate', true));
    END;
  END LOOP;
  IF p_webhook_id IS NOT NULL THEN
    UPDATE provider_webhook SET processed_at = now(), attempts = attempts + 1, last_error = NULL
     WHERE id = p_webhook_id;
  END IF;
  RETURN jsonb_build_object('results', v_results, 'events', tandem_append_events(v_events));
END $$;
