-- Stream names, as src/subscriptions/topics.ts builds them, for the SQL that logs events.

CREATE FUNCTION tandem_lock_stream(p_org uuid, p_inbox uuid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('org:%s:inbox:%s:locks', p_org, p_inbox)
$$;
