import { randomBytes } from 'node:crypto';
import { Role } from '../../src/entities/enums';
import { ProviderKind } from '../../src/entities/provider.entity';
import type { TandemServer } from '../../src/server';
import { BENCH_PASSWORD, signedIn } from '../support/seeding';

// prettier-ignore
const SUBJECTS = [
  'Refund request', 'Delivery delay', 'Wrong size', 'Order status', 'Change of address',
  'Damaged parcel', 'Invoice copy', 'Cancel my order', 'Payment failed', 'Discount code',
  'Return label', 'Missing item', 'Warranty claim', 'Account locked', 'Subscription renewal',
  'Gift card balance', 'Store opening hours', 'Complaint about courier', 'Exchange item',
  'Loyalty points',
];

export interface RecordingsShape {
  interactions: number;
  /** Customers' numbers the interactions come from (about five interactions each by default). */
  numbers: number;
  agents: number;
  campaigns: number;
  /** Interactions are spread over this many days up to the run. */
  days: number;
}

export interface RecordingsData {
  organizationId: string;
  supervisor: { token: string };
  campaignIds: string[];
  agentIds: string[];
  /** Some customers' numbers (E.164) that have interactions. */
  numbers: string[];
  /** The first day holding interactions (UTC midnight). */
  firstDay: Date;
}

/**
 * One organization with `campaigns` campaigns (each on a provider of its own, every agent a
 * member) and `interactions` campaign interactions of `numbers` customers, spread over `days`
 * days: 10 % outgoing, 70 % with a subject; the last 1 % still open (waiting or with an agent),
 * the rest closed, one in ten of those abandoned. People, providers and campaigns go through the
 * services; the bulk rows are written with set-based SQL, shaped as the services write them.
 */
export async function seedRecordings(
  server: TandemServer,
  shape: RecordingsShape,
): Promise<RecordingsData> {
  const { services, dataSource } = server;
  const suffix = randomBytes(3).toString('hex');
  const adminEmail = `admin-${suffix}@recordings.bench.tandem.test`;
  const { organization } = await services.organizations.create({
    name: `Bench Shop ${suffix}`,
    adminEmail,
    adminPassword: BENCH_PASSWORD,
  });
  const { auth: admin } = await signedIn(server, adminEmail);
  const supervisorEmail = `supervisor-${suffix}@recordings.bench.tandem.test`;
  await services.staff.create(admin, {
    name: 'Supervisor',
    email: supervisorEmail,
    password: BENCH_PASSWORD,
    role: Role.SUPERVISOR,
  });
  const supervisor = await signedIn(server, supervisorEmail);
  const agentIds: string[] = [];
  for (let a = 0; a < shape.agents; a++) {
    const agent = await services.staff.create(admin, {
      name: `Agent ${a + 1}`,
      email: `agent${a + 1}-${suffix}@recordings.bench.tandem.test`,
      password: BENCH_PASSWORD,
      role: Role.AGENT,
    });
    agentIds.push(agent.id);
  }
  const campaignIds: string[] = [];
  for (let k = 0; k < shape.campaigns; k++) {
    const provider = await services.providers.create(admin, {
      name: `Line ${k + 1}`,
      kind: ProviderKind.WHATSAPP_CLOUD,
      accountNumber: `+1415555${String(1000 + k)}`,
      phoneNumberId: `pn-${suffix}-${k}`,
      businessAccountId: `waba-${suffix}`,
      accessToken: `token-${suffix}-${k}`,
      appSecret: `secret-${suffix}-${k}`,
      verifyToken: `verify-${suffix}-${k}`,
    });
    const campaign = await services.campaigns.create(admin, {
      name: `Campaign ${k + 1}`,
      providerId: provider.id,
      maxInteractionsPerAgent: 5,
      serviceLevelSeconds: 30,
      // Never abandoned by the server while the benchmark reads them.
      abandonAfterSeconds: 365 * 86_400,
      memberIds: agentIds,
    });
    campaignIds.push(campaign.id);
  }
  const org = organization.id;
  await dataSource.query(
    `WITH seeded AS (
       INSERT INTO customer (organization_id, name, phone)
       SELECT $1, 'Customer ' || g, '+3460' || lpad(g::text, 7, '0') FROM generate_series(1, $2) g
       RETURNING id, phone)
     INSERT INTO contact (organization_id, customer_id, kind, value)
     SELECT $1, id, 'PHONE', phone FROM seeded`,
    [org, shape.numbers],
  );
  const firstDay = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
  firstDay.setUTCDate(firstDay.getUTCDate() - shape.days);
  await dataSource.query(
    `WITH contacts AS (
       SELECT k.id, k.customer_id, row_number() OVER (ORDER BY k.value) - 1 AS n
         FROM contact k WHERE k.organization_id = $1),
     campaigns AS (
       SELECT k.id, k.inbox_id, array_position($2::uuid[], k.id) - 1 AS n
         FROM campaign k WHERE k.id = ANY($2)),
     picked AS (
       SELECT g,
              (g * 7919) % $5 AS contact_n,
              g % array_length($2::uuid[], 1) AS campaign_n,
              ($3::uuid[])[1 + ((g * 31) % array_length($3::uuid[], 1))::int] AS agent,
              CASE WHEN g > $4 * 0.99 THEN (CASE WHEN g % 2 = 0 THEN 'WAITING' ELSE 'ACTIVE' END)
                   WHEN g % 10 = 3 THEN 'ABANDONED' ELSE 'CLOSED' END AS state,
              $6::timestamptz + (g::float8 / $4) * ($7 * interval '1 day') AS at
         FROM generate_series(1::bigint, $4::bigint) g)
     INSERT INTO conversation (organization_id, customer_id, contact_id, channel, inbox_id,
                               campaign_id, assignee_id, status, direction, subject,
                               routing_reason, created_at, updated_at, waiting_since, closed_at)
     SELECT $1, k.customer_id, k.id, 'WHATSAPP', c.inbox_id, c.id,
            CASE WHEN p.state IN ('WAITING', 'ABANDONED') THEN NULL ELSE p.agent END,
            CASE WHEN p.state IN ('WAITING', 'ACTIVE') THEN 'OPEN' ELSE 'CLOSED' END,
            CASE WHEN p.g % 10 = 0 THEN 'OUTGOING' ELSE 'INCOMING' END,
            CASE WHEN p.g % 10 < 7 THEN ($8::text[])[1 + ((p.g * 13) % array_length($8::text[], 1))::int] END,
            CASE p.state WHEN 'ABANDONED' THEN 'ABANDONED' WHEN 'WAITING' THEN 'QUEUE' ELSE 'TAKEN' END,
            p.at, p.at, p.at,
            CASE WHEN p.state IN ('CLOSED', 'ABANDONED') THEN p.at + interval '10 minutes' END
       FROM picked p JOIN contacts k ON k.n = p.contact_n JOIN campaigns c ON c.n = p.campaign_n`,
    [org, campaignIds, agentIds, shape.interactions, shape.numbers, firstDay, shape.days, SUBJECTS],
  );
  await dataSource.query('ANALYZE customer, contact, conversation');
  const sample = (await dataSource.query(
    `SELECT k.value FROM contact k WHERE k.organization_id = $1 ORDER BY k.value LIMIT 5 OFFSET 100`,
    [org],
  )) as Array<{ value: string }>;
  return {
    organizationId: org,
    supervisor: { token: supervisor.token },
    campaignIds,
    agentIds,
    numbers: sample.map((row) => row.value),
    firstDay,
  };
}
