import { registerEnumType } from 'type-graphql';

/**
 * The statements of the assisted-service reports (A6), kept apart from the service so that the
 * benchmark runs the very same ones.
 *
 * The rule for days: a session belongs, whole, to the local day it started on. Local days come
 * from the time zone: `date::timestamp AT TIME ZONE zone` is the instant a local day starts, so
 * a day is 23 or 25 hours long across a daylight-saving change, and a session's time is always
 * the instants between its start and its end.
 */

export enum AssistReportGroup {
  SERVICE = 'SERVICE',
  CHANNEL = 'CHANNEL',
  AGENT = 'AGENT',
  OUTCOME = 'OUTCOME',
}

registerEnumType(AssistReportGroup, {
  name: 'AssistReportGroup',
  description:
    'What the lines of an assist report are: one per service, channel, agent or outcome.',
});

/** Local calendar days, both included (YYYY-MM-DD), and the zone; null: the organization's. */
export interface DateRange {
  from: string;
  to: string;
  timeZone?: string | null;
}

export interface Statement {
  text: string;
  values: unknown[];
}

const GROUP_KEYS: Record<AssistReportGroup, string> = {
  [AssistReportGroup.SERVICE]: 'a.service',
  [AssistReportGroup.CHANNEL]: 'a.channel',
  [AssistReportGroup.AGENT]: 'a.staff_id',
  // A session past its maximum that the job has not ended yet has TIMED_OUT all the same.
  [AssistReportGroup.OUTCOME]: `coalesce(a.outcome, 'TIMED_OUT')`,
};

/** The zone ($2, else the organization's) and the range's first and last instants. */
const BOUNDS = `zone AS (SELECT coalesce($2::text, o.time_zone) AS tz FROM organization o WHERE o.id = $1),
  bounds AS (
    SELECT tz, ($3::date::timestamp AT TIME ZONE tz) AS starts_at,
           (($4::date + 1)::timestamp AT TIME ZONE tz) AS ends_at
      FROM zone)`;

/** Sessions (alias `a`) started in the range and ended (past its maximum is ended). */
const ENDED_IN_RANGE = `bounds b JOIN assist_session a
      ON a.organization_id = $1 AND a.started_at >= b.starts_at AND a.started_at < b.ends_at
   WHERE (a.ended_at IS NOT NULL OR a.expires_at <= now())`;

/** Time spent, as an interval: summed as intervals, and made seconds once per group. */
const SPENT = `coalesce(a.ended_at, a.expires_at) - a.started_at`;

/** One line per group: sessions and seconds; one row with only the zone when there is none. */
export function reportStatement(
  organizationId: string,
  range: DateRange,
  groupBy: AssistReportGroup,
): Statement {
  return {
    text: `WITH ${BOUNDS},
  lines AS (
    SELECT ${GROUP_KEYS[groupBy]} AS key, count(*)::int AS sessions,
           extract(epoch FROM sum(${SPENT})) AS total_seconds
      FROM ${ENDED_IN_RANGE}
     GROUP BY 1)
  SELECT b.tz AS time_zone, l.key::text AS key, l.sessions, l.total_seconds
    FROM bounds b LEFT JOIN lines l ON true
   ORDER BY l.total_seconds DESC, key`,
    values: [organizationId, range.timeZone ?? null, range.from, range.to],
  };
}

/** One row per local day of the range: the agent's sessions and seconds that day. */
export function timesheetStatement(
  organizationId: string,
  agentId: string,
  range: DateRange,
): Statement {
  return {
    text: `WITH ${BOUNDS},
  days AS (SELECT d::date AS day FROM generate_series($3::date, $4::date, interval '1 day') d),
  entries AS (
    SELECT (a.started_at AT TIME ZONE b.tz)::date AS day, ${SPENT} AS spent
      FROM ${ENDED_IN_RANGE} AND a.staff_id = $5)
  SELECT b.tz AS time_zone, b.starts_at, b.ends_at, to_char(d.day, 'YYYY-MM-DD') AS day,
         count(e.day)::int AS sessions, coalesce(extract(epoch FROM sum(e.spent)), 0) AS total_seconds
    FROM bounds b CROSS JOIN days d LEFT JOIN entries e ON e.day = d.day
   GROUP BY b.tz, b.starts_at, b.ends_at, d.day
   ORDER BY d.day`,
    values: [organizationId, range.timeZone ?? null, range.from, range.to, agentId],
  };
}
