-- Windows (client sessions) and whether they are alive: what lock operations and routing ask of
-- sessions (L4: a window not seen within the TTL has gone, and its holder with it).

-- A window is alive while it is not revoked nor expired and was seen within the TTL. The one
-- text of the rule; inlined by Postgres where it is used.
CREATE FUNCTION tandem_window_live(w client_session, p_ttl interval) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT w.revoked_at IS NULL AND w.expires_at > now() AND w.last_seen_at >= now() - p_ttl
$$;

-- Whether this window is alive (a lock's holder).
CREATE FUNCTION tandem_session_live(p_session uuid, p_ttl interval) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM client_session w WHERE w.id = p_session AND tandem_window_live(w, p_ttl))
$$;
