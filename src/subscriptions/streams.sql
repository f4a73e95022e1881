-- Stream names for the SQL that logs events, built exactly as streamName in
-- src/subscriptions/topics.ts builds them for TypeScript (test/integration/sql-definitions.spec.ts
-- compares the two): org:{organization}:{record kind}:{record id}:{topic}.
-- STABLE, as format is: Postgres inlines it.
CREATE FUNCTION tandem_stream(p_org uuid, p_record text, p_id uuid, p_topic text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT format('org:%s:%s:%s:%s', p_org, p_record, p_id, p_topic)
$$;
