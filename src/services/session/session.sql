-- Windows (client sessions) alive within the TTL: what locks and routing ask of sessions.

-- A window is alive while it is not revoked nor expired and was seen within the TTL.
CREATE FUNCTION tandem_session_live(p_session uuid, p_ttl interval) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM client_session s WHERE s.id = p_session AND s.revoked_at IS NULL
                    AND s.expires_at > now() AND s.last_seen_at >= now() - p_ttl)
$$;

-- A staff member is reachable while one of their windows is alive (not revoked, seen within the TTL).
CREATE FUNCTION tandem_staff_live(p_staff uuid, p_ttl interval) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM client_session s WHERE s.staff_id = p_staff AND s.revoked_at IS NULL
                    AND s.expires_at > now() AND s.last_seen_at >= now() - p_ttl)
$$;
