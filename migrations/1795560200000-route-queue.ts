import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Routing from the queue (R9) in one statement: the next available agent (R8) takes the oldest
 * waiting conversation, with its routing history (R10), a co-worker's lock released (L6) and
 * its events, again for up to a batch of heads, in one round trip that commits on its own.
 * Before, a transaction of nine statements per routing, each a round trip while the inbox's
 * stream waited behind it.
 */
export const ROUTE_QUEUE_HEAD = `
-- A conversation as an event payload carries it: the entity's fields, timestamps as JavaScript's
-- toISOString writes them (what snapshotOf makes of a Conversation on the server).
CREATE FUNCTION tandem_conversation_json(c conversation) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'id', c.id, 'organizationId', c.organization_id, 'customerId', c.customer_id,
    'contactId', c.contact_id, 'channel', c.channel, 'inboxId', c.inbox_id,
    'assigneeId', c.assignee_id, 'status', c.status, 'direction', c.direction,
    'subject', c.subject, 'routingReason', c.routing_reason,
    'createdAt', tandem_iso(c.created_at), 'updatedAt', tandem_iso(c.updated_at),
    'lastMessageAt', tandem_iso(c.last_message_at), 'closedAt', tandem_iso(c.closed_at),
    'queuedAt', tandem_iso(c.queued_at), 'archivedAt', tandem_iso(c.archived_at),
    'deletedAt', tandem_iso(c.deleted_at))
$$;

-- R9: the inbox's next available agents take its oldest waiting conversations, up to p_max in
-- this one statement. Each agent's row is locked by tandem_claim_agent (capacity recounted under
-- it, this statement's own routings included), each head is taken SKIP LOCKED (a head another
-- router holds is passed over). The events of every routing are appended at the end, so the
-- inbox's stream is held once per batch. Returns how many were routed and the events to publish.
CREATE FUNCTION tandem_route_queue(p_org uuid, p_inbox uuid, p_ttl interval, p_actor jsonb, p_note text,
                                   p_max integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_agent uuid;
  v_head uuid;
  v_conversation conversation;
  v_json jsonb;
  v_routed integer := 0;
  v_pending jsonb := '[]'::jsonb;
BEGIN
  WHILE v_routed < p_max LOOP
    v_agent := tandem_claim_agent(p_org, p_inbox, p_ttl);
    EXIT WHEN v_agent IS NULL;
    SELECT q.id INTO v_head FROM conversation q
     WHERE q.inbox_id = p_inbox AND q.status = 'OPEN' AND q.assignee_id IS NULL
       AND q.queued_at IS NOT NULL AND q.deleted_at IS NULL
     ORDER BY q.queued_at, q.id
     FOR UPDATE SKIP LOCKED
     LIMIT 1;
    EXIT WHEN NOT FOUND;
    UPDATE conversation
       SET assignee_id = v_agent, routing_reason = 'FROM_QUEUE', queued_at = NULL, updated_at = now()
     WHERE id = v_head
    RETURNING * INTO v_conversation;
    UPDATE staff SET last_assigned_at = clock_timestamp() WHERE id = v_agent;
    INSERT INTO routing_decision (organization_id, conversation_id, reason, assignee_id, inbox_id,
                                  decided_by_kind, decided_by_id, decided_by_name, note)
    VALUES (p_org, v_head, 'FROM_QUEUE', v_agent, p_inbox,
            p_actor ->> 'kind', (p_actor ->> 'id')::uuid, p_actor ->> 'name', p_note);
    v_json := tandem_conversation_json(v_conversation);
    v_pending := v_pending || jsonb_build_array(
        jsonb_build_object('stream', format('org:%s:inbox:%s:conversations', p_org, p_inbox), 'org', p_org,
          'payload', jsonb_build_object('kind', 'ROUTED', 'actor', p_actor, 'conversation', v_json)),
        jsonb_build_object('stream', format('org:%s:staff:%s:assignments', p_org, v_agent), 'org', p_org,
          'payload', jsonb_build_object('kind', 'ASSIGNED', 'actor', p_actor, 'conversation', v_json)))
      -- L6: a first assignment only frees a lock a co-worker held on the ticket.
      || tandem_ticket_moved(p_org, v_head, p_inbox, p_actor, p_note, v_agent, true);
    v_routed := v_routed + 1;
  END LOOP;
  RETURN jsonb_build_object('routed', v_routed, 'events', tandem_append_events(v_pending));
END $$;
`;

export class RouteQueue1795560200000 implements MigrationInterface {
  name = 'RouteQueue1795560200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(ROUTE_QUEUE_HEAD);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      'DROP FUNCTION tandem_route_queue(uuid, uuid, interval, jsonb, text, integer)',
    );
    await runner.query('DROP FUNCTION tandem_conversation_json(conversation)');
  }
}
