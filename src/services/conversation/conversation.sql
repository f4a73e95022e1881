-- Conversations as the SQL rules that move them put them in events (tandem_route_queue).

-- A conversation as an event payload carries it: the entity's fields, timestamps as JavaScript's
-- toISOString writes them (what snapshotOf makes of a Conversation on the server).
CREATE FUNCTION tandem_conversation_json(c conversation) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', c.id, 'organizationId', c.organization_id, 'customerId', c.customer_id,
    'contactId', c.contact_id, 'channel', c.channel, 'inboxId', c.inbox_id,
    'assigneeId', c.assignee_id, 'status', c.status, 'direction', c.direction,
    'subject', c.subject, 'routingReason', c.routing_reason,
    'createdAt', tandem_iso(c.created_at), 'updatedAt', tandem_iso(c.updated_at),
    'lastMessageAt', tandem_iso(c.last_message_at), 'closedAt', tandem_iso(c.closed_at),
    'queuedAt', tandem_iso(c.queued_at), 'archivedAt', tandem_iso(c.archived_at),
    'deletedAt', tandem_iso(c.deleted_at), 'campaignId', c.campaign_id,
    'waitingSince', tandem_iso(c.waiting_since), 'requeuedAt', tandem_iso(c.requeued_at),
    'takenAt', tandem_iso(c.taken_at), 'handledAt', tandem_iso(c.handled_at),
    'abandonedAt', tandem_iso(c.abandoned_at),
    'replyWindowClosesAt', tandem_iso(c.reply_window_closes_at))
$$;
