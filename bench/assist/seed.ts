import { Role } from '../../src/entities/enums';
import type { TandemServer } from '../../src/server';
import { BENCH_PASSWORD, signedIn } from '../support/seeding';

// prettier-ignore
const FIRST_NAMES = [
  'James', 'Mary', 'John', 'Jon', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William',
  'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah',
  'Charles', 'Karen', 'Daniel', 'Nancy', 'Matthew', 'Lisa', 'Anthony', 'Betty', 'Mark', 'Sandra',
  'Amara', 'Bruno', 'Chen', 'Dalia', 'Emil', 'Fatima', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kofi',
  'Lena', 'Mateo', 'Nadia', 'Oskar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tariq', 'Ulla', 'Victor',
  'Wen', 'Ximena', 'Yusuf', 'Zofia', 'Catherine', 'Katherine', 'Kathryn', 'Ann', 'Anne', 'Anna',
];
// The surnames a few share (a third of the customers)...
// prettier-ignore
const COMMON_SURNAMES = [
  'Smith', 'Smyth', 'Johnson', 'Johnston', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller',
  'Davis', 'Davies', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson',
  'Anderson', 'Andersen', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson',
  'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright',
  'Scott', 'Nguyen', 'Hill', 'Green', 'Adams', 'Baker', 'Nelson', 'Carter', 'Mitchell', 'Okafor',
  'Silva', 'Larsen', 'Kowalski', 'Tanaka', 'Schmidt', 'Schmitt', 'Ibrahim', 'Costa', 'Novak',
];
/** How many surnames a third of the customers share. */
// ...and a long tail, as real customer bases have: syllables put together (900 surnames).
// prettier-ignore
const SURNAME_STARTS = [
  'Ash', 'Bel', 'Cor', 'Dun', 'Eld', 'Fen', 'Gar', 'Hal', 'Ing', 'Kes', 'Lin', 'Mor', 'Nor',
  'Oak', 'Pen', 'Quin', 'Ros', 'Sel', 'Tor', 'Ul', 'Var', 'Wes', 'Yar', 'Zel', 'Brom', 'Cal',
  'Dal', 'Fair', 'Hart', 'Lock',
];
// prettier-ignore
const SURNAME_ENDS = [
  'by', 'well', 'wood', 'ford', 'ton', 'ley', 'son', 'stead', 'more', 'field', 'worth', 'ridge',
  'brook', 'dale', 'ham', 'hurst', 'ing', 'ock', 'bury', 'combe', 'gate', 'holt', 'lake',
  'mere', 'shaw', 'thorpe', 'vale', 'wick', 'croft', 'den',
];
// prettier-ignore
const STREETS = [
  'Main Street', 'High Street', 'Station Road', 'Church Lane', 'Park Avenue', 'Oak Drive',
  'Maple Road', 'Elm Street', 'Mill Lane', 'Baker Street', 'Victoria Road', 'Green Lane',
  'Manor Way', 'King Street', 'Queen Street', 'Bridge Road', 'School Lane', 'North Street',
  'South Street', 'West End', 'Castle Hill', 'Harbour View', 'Orchard Close', 'Meadow Way',
];
// prettier-ignore
const CITIES = [
  'Springfield', 'Riverside', 'Franklin', 'Greenville', 'Bristol', 'Clinton', 'Fairview',
  'Salem', 'Madison', 'Georgetown', 'Arlington', 'Ashland', 'Burlington', 'Dover', 'Milton',
];
const DOMAINS = ['example.com', 'mail.example', 'post.example', 'inbox.example', 'web.example'];
// prettier-ignore
const SERVICES = [
  'Council tax', 'Bins and recycling', 'Parking permits', 'Housing repairs', 'Benefits',
  'Planning', 'School admissions', 'Library', 'Blue badge', 'Births and deaths', 'Noise',
  'Pest control',
];
const CHANNELS = ['VOICE', 'CHAT', 'EMAIL', 'SMS', 'WHATSAPP'];
const OUTCOMES = ['RESOLVED', 'RESOLVED', 'RESOLVED', 'FOLLOW_UP', 'ESCALATED', 'ABANDONED'];

export interface AssistShape {
  customers: number;
  sessions: number;
  agents: number;
  /** Sessions are spread over this many days up to the day before the run. */
  days: number;
}

export interface AssistData {
  organizationId: string;
  /** The AGENT whose token the searches carry. */
  agent: { token: string };
  /** The SUPERVISOR whose token the reports carry. */
  supervisor: { token: string };
  counts: { customers: number; contacts: number; sessions: number; agents: number; names: number };
  /** The first and last local day holding sessions (UTC). */
  from: string;
  to: string;
}

/**
 * One organization with `customers` customers (an email and a phone contact each) and
 * `sessions` ended assist sessions of `agents` agents. The two staff members the load acts as
 * are made through the services; the bulk rows are written with set-based SQL (through the
 * services, 100,000 customers would take the best part of an hour), shaped as the services write
 * them: E.164 numbers, lower-case emails, each email and number also a contact.
 */
export async function seedAssist(server: TandemServer, shape: AssistShape): Promise<AssistData> {
  const { services, dataSource } = server;
  const adminEmail = 'admin@assist.bench.tandem.test';
  const { organization } = await services.organizations.create({
    name: 'Bench Council',
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const { auth: admin } = await signedIn(server, adminEmail);
  for (const [email, role] of [
    ['agent@assist.bench.tandem.test', Role.AGENT],
    ['supervisor@assist.bench.tandem.test', Role.SUPERVISOR],
  ] as const) {
    await services.staff.create(admin, { name: role, email, password: BENCH_PASSWORD, role });
  }
  const agent = await signedIn(server, 'agent@assist.bench.tandem.test');
  const supervisor = await signedIn(server, 'supervisor@assist.bench.tandem.test');
  const org = organization.id;

  await dataSource.query(
    `INSERT INTO staff (organization_id, name, email, password_hash, role)
     SELECT $1, 'Agent ' || g, 'agent' || g || '@assist.bench.tandem.test', 'not a hash: no sign-in', 'AGENT'
       FROM generate_series(1, $2) g`,
    [org, shape.agents],
  );

  const surnames = [
    ...COMMON_SURNAMES,
    ...SURNAME_STARTS.flatMap((start) => SURNAME_ENDS.map((end) => `${start}${end}`)),
  ];
  await dataSource.query(
    `WITH picked AS (
       SELECT g,
              ($2::text[])[1 + ((g * 7919) % array_length($2::text[], 1))::int] AS first,
              CASE WHEN g % 3 = 0
                   THEN ($3::text[])[1 + ((g * 104729) % array_length($3::text[], 1))::int]
                   ELSE ($4::text[])[1 + ((g * 1299709) % array_length($4::text[], 1))::int] END AS last
         FROM generate_series(1::bigint, $5::bigint) g),
     seeded AS (
       INSERT INTO customer (organization_id, name, username, email, phone, postal_address)
       SELECT $1, first || ' ' || last,
              lower(left(first, 1) || last) || g,
              lower(first || '.' || last) || g || '@' || ($6::text[])[1 + (g % array_length($6::text[], 1))::int],
              '+1' || (2000000000 + g * 79)::text,
              (1 + (g * 31) % 998)::text || ' ' || ($7::text[])[1 + ((g * 17) % array_length($7::text[], 1))::int]
                || ', ' || ($8::text[])[1 + ((g * 13) % array_length($8::text[], 1))::int]
         FROM picked
       RETURNING id, email, phone)
     INSERT INTO contact (organization_id, customer_id, kind, value)
     SELECT $1, id, 'EMAIL', email FROM seeded
     UNION ALL SELECT $1, id, 'PHONE', phone FROM seeded`,
    [org, FIRST_NAMES, COMMON_SURNAMES, surnames, shape.customers, DOMAINS, STREETS, CITIES],
  );

  // Ended sessions over the last `days` days, 2 to 40 minutes long, started at any time of day.
  await dataSource.query(
    `WITH agents AS (SELECT array_agg(id ORDER BY id) AS ids FROM staff WHERE organization_id = $1 AND role = 'AGENT'),
          customers AS (SELECT array_agg(id ORDER BY id) AS ids FROM customer WHERE organization_id = $1),
          timed AS (
            SELECT g, date_trunc('day', now()) - ($3 * interval '1 day') * (((g * 7919) % 100000) / 100000.0)
                      - interval '1 day' AS started_at,
                   (2 + (g * 31) % 39) * interval '1 minute' AS spent
              FROM generate_series(1::bigint, $2::bigint) g)
     INSERT INTO assist_session (organization_id, staff_id, customer_id, channel, service, started_at,
                                 expires_at, ended_at, outcome, ended_by_kind, ended_by_name)
     SELECT $1, a.ids[1 + ((g * 13) % array_length(a.ids, 1))::int], c.ids[1 + ((g * 104729) % array_length(c.ids, 1))::int],
            ($4::text[])[1 + ((g * 7) % array_length($4::text[], 1))::int],
            ($5::text[])[1 + ((g * 11) % array_length($5::text[], 1))::int],
            started_at, started_at + interval '2 hours', started_at + spent,
            ($6::text[])[1 + ((g * 17) % array_length($6::text[], 1))::int], 'STAFF', 'Agent'
       FROM timed, agents a, customers c`,
    [org, shape.sessions, shape.days, CHANNELS, SERVICES, OUTCOMES],
  );
  // As a database in service has it: statistics, and the visibility map index-only scans need.
  await dataSource.query('VACUUM ANALYZE');

  const [counts] = (await dataSource.query(
    `SELECT (SELECT count(*)::int FROM customer WHERE organization_id = $1) AS customers,
            (SELECT count(*)::int FROM contact WHERE organization_id = $1) AS contacts,
            (SELECT count(*)::int FROM assist_session WHERE organization_id = $1) AS sessions,
            (SELECT count(*)::int FROM staff WHERE organization_id = $1 AND role = 'AGENT') AS agents,
            (SELECT count(DISTINCT name)::int FROM customer WHERE organization_id = $1) AS names,
            (SELECT to_char(min(started_at), 'YYYY-MM-DD') FROM assist_session WHERE organization_id = $1) AS from,
            (SELECT to_char(max(started_at), 'YYYY-MM-DD') FROM assist_session WHERE organization_id = $1) AS to`,
    [org],
  )) as Array<AssistData['counts'] & { from: string; to: string }>;
  const { from, to, ...rest } = counts as AssistData['counts'] & { from: string; to: string };
  return {
    organizationId: org,
    agent: { token: agent.token },
    supervisor: { token: supervisor.token },
    counts: rest,
    from,
    to,
  };
}
