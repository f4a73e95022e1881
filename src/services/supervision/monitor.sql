-- Campaign monitoring (C9): the day's counters of each campaign, kept in the transaction of every
-- arrival, take, abandon and end, so the live monitor reads one row per campaign instead of
-- scanning the day's interactions. src/services/supervision/monitor.store.ts is the TypeScript
-- that names these functions.

-- The organization's day an instant belongs to: its local date in its time zone, the day starting
-- at its reset time (06:00 in Europe/Madrid: 05:59 local on the 3rd is still the 2nd).
CREATE FUNCTION tandem_org_day(p_org uuid, p_at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT ((p_at AT TIME ZONE o.time_zone) - o.day_reset_time::interval)::date
    FROM organization o WHERE o.id = p_org
$$;

-- The instant an organization's day starts.
CREATE FUNCTION tandem_org_day_start(p_org uuid, p_day date) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT (p_day + o.day_reset_time) AT TIME ZONE o.time_zone FROM organization o WHERE o.id = p_org
$$;

-- The moments a campaign interaction is counted from, each set once, whatever wrote the row (a
-- take, the routing SQL, an assignment, the abandon sweep): taken_at its first take (a requeued
-- interaction taken again is not answered twice), abandoned_at when it left the queue ABANDONED
-- before anyone took it, handled_at its first end (closed or archived) after a take.
CREATE FUNCTION tandem_interaction_moments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.waiting_since IS NULL THEN RETURN NEW; END IF;
  IF NEW.taken_at IS NULL AND NEW.assignee_id IS NOT NULL AND NEW.abandoned_at IS NULL THEN
    NEW.taken_at := now();
  END IF;
  IF NEW.abandoned_at IS NULL AND NEW.taken_at IS NULL AND NEW.routing_reason = 'ABANDONED' THEN
    NEW.abandoned_at := coalesce(NEW.closed_at, now());
  END IF;
  IF NEW.handled_at IS NULL AND NEW.taken_at IS NOT NULL AND NEW.status <> 'OPEN' THEN
    NEW.handled_at := coalesce(NEW.closed_at, NEW.archived_at, now());
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER conversation_interaction_moments BEFORE INSERT OR UPDATE ON conversation
  FOR EACH ROW WHEN (NEW.campaign_id IS NOT NULL) EXECUTE FUNCTION tandem_interaction_moments();

-- Adds to a campaign's counters of the day an event happened on (each event counts on its own
-- day: offered when it started waiting, answered when taken, abandoned when it left, handled when
-- it ended). Waits and handle times are kept as sums of milliseconds, so averages are exact.
CREATE FUNCTION tandem_count_campaign_day(
  p_campaign uuid, p_org uuid, p_at timestamptz, p_offered int, p_answered int, p_in_threshold int,
  p_wait_ms bigint, p_abandoned int, p_short_abandoned int, p_handled int, p_handle_ms bigint
) RETURNS void LANGUAGE sql AS $$
  INSERT INTO campaign_day_stat AS s (campaign_id, day, organization_id, offered, answered,
              answered_in_threshold, wait_ms, abandoned, short_abandoned, handled, handle_ms)
  VALUES (p_campaign, tandem_org_day(p_org, p_at), p_org, p_offered, p_answered, p_in_threshold,
          p_wait_ms, p_abandoned, p_short_abandoned, p_handled, p_handle_ms)
  ON CONFLICT (campaign_id, day) DO UPDATE SET
    offered = s.offered + EXCLUDED.offered,
    answered = s.answered + EXCLUDED.answered,
    answered_in_threshold = s.answered_in_threshold + EXCLUDED.answered_in_threshold,
    wait_ms = s.wait_ms + EXCLUDED.wait_ms,
    abandoned = s.abandoned + EXCLUDED.abandoned,
    short_abandoned = s.short_abandoned + EXCLUDED.short_abandoned,
    handled = s.handled + EXCLUDED.handled,
    handle_ms = s.handle_ms + EXCLUDED.handle_ms
$$;

CREATE FUNCTION tandem_ms(p_interval interval) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT greatest(0, round(extract(epoch FROM p_interval) * 1000))::bigint
$$;

-- Counts what a write to a campaign interaction started: the moments above that it set. The
-- threshold and short-abandon time are the campaign's at that moment (a change of them counts
-- from then on).
CREATE FUNCTION tandem_count_interaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_campaign campaign;
  v_wait interval;
BEGIN
  IF NEW.waiting_since IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.waiting_since IS NULL) THEN
    PERFORM tandem_count_campaign_day(NEW.campaign_id, NEW.organization_id, NEW.waiting_since,
                                      1, 0, 0, 0, 0, 0, 0, 0);
  END IF;
  IF NEW.taken_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.taken_at IS NULL) THEN
    SELECT * INTO v_campaign FROM campaign WHERE id = NEW.campaign_id;
    v_wait := NEW.taken_at - NEW.waiting_since;
    PERFORM tandem_count_campaign_day(NEW.campaign_id, NEW.organization_id, NEW.taken_at,
      0, 1, (v_wait <= v_campaign.service_level_seconds * interval '1 second')::int,
      tandem_ms(v_wait), 0, 0, 0, 0);
  END IF;
  IF NEW.abandoned_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.abandoned_at IS NULL) THEN
    SELECT * INTO v_campaign FROM campaign WHERE id = NEW.campaign_id;
    v_wait := NEW.abandoned_at - NEW.waiting_since;
    PERFORM tandem_count_campaign_day(NEW.campaign_id, NEW.organization_id, NEW.abandoned_at,
      0, 0, 0, 0, 1, (v_wait < v_campaign.short_abandon_seconds * interval '1 second')::int, 0, 0);
  END IF;
  IF NEW.handled_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.handled_at IS NULL) THEN
    PERFORM tandem_count_campaign_day(NEW.campaign_id, NEW.organization_id, NEW.handled_at,
      0, 0, 0, 0, 0, 0, 1, tandem_ms(NEW.handled_at - NEW.taken_at));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER conversation_campaign_counters AFTER INSERT OR UPDATE ON conversation
  FOR EACH ROW WHEN (NEW.campaign_id IS NOT NULL) EXECUTE FUNCTION tandem_count_interaction();

-- The same figures counted again from the interactions themselves (with the campaign's current
-- settings): what the counters must equal. For tests and checks, never for the live monitor.
CREATE FUNCTION tandem_campaign_day_recount(p_campaign uuid, p_day date)
RETURNS campaign_day_stat LANGUAGE sql STABLE AS $$
  WITH k AS (
    SELECT k.*, tandem_org_day_start(k.organization_id, p_day) AS day_from,
           tandem_org_day_start(k.organization_id, p_day + 1) AS day_to
      FROM campaign k WHERE k.id = p_campaign
  ), i AS (
    SELECT c.*, k.service_level_seconds * interval '1 second' AS threshold,
           k.short_abandon_seconds * interval '1 second' AS short_abandon, k.day_from, k.day_to
      FROM conversation c, k WHERE c.campaign_id = p_campaign AND c.waiting_since IS NOT NULL
  )
  SELECT k.id, p_day, k.organization_id,
    (SELECT count(*) FROM i WHERE waiting_since >= day_from AND waiting_since < day_to)::int,
    (SELECT count(*) FROM i WHERE taken_at >= day_from AND taken_at < day_to)::int,
    (SELECT count(*) FROM i WHERE taken_at >= day_from AND taken_at < day_to
                              AND taken_at - waiting_since <= threshold)::int,
    (SELECT coalesce(sum(tandem_ms(taken_at - waiting_since)), 0) FROM i
      WHERE taken_at >= day_from AND taken_at < day_to)::bigint,
    (SELECT count(*) FROM i WHERE abandoned_at >= day_from AND abandoned_at < day_to)::int,
    (SELECT count(*) FROM i WHERE abandoned_at >= day_from AND abandoned_at < day_to
                              AND abandoned_at - waiting_since < short_abandon)::int,
    (SELECT count(*) FROM i WHERE handled_at >= day_from AND handled_at < day_to)::int,
    (SELECT coalesce(sum(tandem_ms(handled_at - taken_at)), 0) FROM i
      WHERE handled_at >= day_from AND handled_at < day_to)::bigint
    FROM k
$$;

-- The live figures of these campaigns now: today's counters (zeros before the first event), and
-- the queue as it stands (waiting count and the oldest wait, from the queue's partial index).
CREATE FUNCTION tandem_campaign_figures(p_campaigns uuid[])
RETURNS TABLE (campaign_id uuid, day date, day_starts_at timestamptz, offered int, answered int,
               answered_in_threshold int, wait_ms bigint, abandoned int, short_abandoned int,
               handled int, handle_ms bigint, waiting int, oldest_waiting_since timestamptz,
               at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT k.id, d.day, tandem_org_day_start(k.organization_id, d.day),
         coalesce(s.offered, 0), coalesce(s.answered, 0), coalesce(s.answered_in_threshold, 0),
         coalesce(s.wait_ms, 0), coalesce(s.abandoned, 0), coalesce(s.short_abandoned, 0),
         coalesce(s.handled, 0), coalesce(s.handle_ms, 0), q.waiting, q.oldest, now()
    FROM campaign k
   CROSS JOIN LATERAL (SELECT tandem_org_day(k.organization_id, now()) AS day) d
    LEFT JOIN campaign_day_stat s ON s.campaign_id = k.id AND s.day = d.day
   CROSS JOIN LATERAL (
     SELECT count(*)::int AS waiting, min(c.waiting_since) AS oldest FROM conversation c
      WHERE c.campaign_id = k.id AND c.status = 'OPEN' AND c.assignee_id IS NULL
        AND c.waiting_since IS NOT NULL AND c.deleted_at IS NULL) q
   WHERE k.id = ANY (p_campaigns)
$$;
