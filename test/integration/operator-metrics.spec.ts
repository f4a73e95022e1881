import { enqueueJob } from '../../src/db/job-queue';
import { newCampaign } from '../support/campaigns';
import { eventually, newAgent, newOrg } from '../support/factories';
import { runOperatorWorkload } from '../support/operator-workload';
import { openWindow, watchLocks } from '../support/windows';
import { startTestServer, type TestServer } from '../support/server';

const TOKEN = 'metrics-token-for-the-tests-0123';

/** The value of one sample of the exposition text (labels matched as a subset), or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) =>
      line.includes(`${key}="${value}"`),
    );
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(url: string, token: string | null = TOKEN) {
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text: await response.text(),
  };
}

describe('issue 19: GET /metrics, behind its token', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ config: { metricsToken: TOKEN } });
  });
  afterAll(() => server.stop());

  it('is refused without the token, or with another one, and says nothing of what is there', async () => {
    const url = server.metricsUrl as string;
    expect(url).toBe(server.url.replace(/\/graphql$/, '/metrics'));
    for (const token of [null, 'not-the-metrics-token-0000', `${TOKEN}x`]) {
      const refused = await scrape(url, token);
      expect(refused.status).toBe(401);
      expect(refused.text).not.toContain('tandem_');
    }
    // A sign-in token is no metrics token.
    const ok = await scrape(url);
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain/);
  });

  it('shows the counters moving for a scripted workload', async () => {
    const url = server.metricsUrl as string;
    const before = (await scrape(url)).text;
    const customersOk = { transport: 'http', type: 'query', operation: 'customers', outcome: 'OK' };
    const work = await runOperatorWorkload(server);
    // The client has closed its window; the server counts it closed once it has read the close.
    await eventually(
      async () => {
        const now = (await scrape(url)).text;
        return (
          sample(now, 'tandem_sockets_open') === 0 && sample(now, 'tandem_subscriptions_open') === 0
        );
      },
      5000,
      'the server to count the window closed',
    );
    const after = (await scrape(url)).text;
    const delta = (name: string, labels: Record<string, string> = {}) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

    expect(delta('tandem_requests_total', customersOk)).toBe(3);
    expect(
      delta('tandem_requests_total', {
        transport: 'http',
        operation: 'customers',
        outcome: 'UNAUTHENTICATED',
      }),
    ).toBe(1);
    expect(delta('tandem_requests_total', { operation: 'signIn', outcome: 'OK' })).toBe(1);
    expect(
      delta('tandem_requests_total', {
        transport: 'http',
        operation: 'signIn',
        outcome: 'UNAUTHENTICATED',
      }),
    ).toBe(1);
    expect(
      delta('tandem_requests_total', {
        transport: 'ws',
        type: 'subscription',
        operation: 'ticketLockEvents',
        outcome: 'OK',
      }),
    ).toBe(1);
    expect(
      delta('tandem_requests_total', {
        transport: 'ws',
        type: 'query',
        operation: 'me',
        outcome: 'OK',
      }),
    ).toBe(1);
    expect(
      delta('tandem_request_duration_seconds_count', {
        transport: 'http',
        type: 'query',
        operation: 'customers',
      }),
    ).toBe(4);
    expect(delta('tandem_socket_connections_total', { outcome: 'accepted' })).toBe(1);
    expect(delta('tandem_events_published_total')).toBeGreaterThan(0);
    expect(delta('tandem_events_received_total')).toBeGreaterThan(0);
    expect(delta('tandem_events_delivered_total')).toBeGreaterThan(0);
    expect(delta('tandem_job_runs_total', { job: 'lock sweep' })).toBeGreaterThan(0);

    // The window closed: nothing is left open.
    expect(sample(after, 'tandem_sockets_open')).toBe(0);
    expect(sample(after, 'tandem_subscriptions_open')).toBe(0);
    // Read at scrape time: the pool, the database's gauges, the process.
    expect(sample(after, 'tandem_db_pool_connections', { state: 'max' })).toBe(10);
    expect(sample(after, 'tandem_db_pool_connections', { state: 'open' })).toBeGreaterThan(0);
    expect(sample(after, 'tandem_metrics_database_up')).toBe(1);
    expect(sample(after, 'tandem_sequencer_pending_events')).toBeGreaterThanOrEqual(0);
    const inbox = { organization: work.organizationId, inbox: work.inboxId };
    // Its conversation waits in the inbox's queue: no agent of the inbox is available.
    expect(sample(after, 'tandem_queue_depth', inbox)).toBe(1);
    expect(sample(after, 'tandem_queue_oldest_wait_seconds', inbox)).toBeGreaterThan(0);
    expect(sample(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(after).toContain('tandem_publish_failures_total 0');
  }, 90_000);

  it('shows each campaign queue, and the job queue by task and state', async () => {
    const org = await newOrg(server);
    const campaign = await newCampaign(org);
    // A task no instance runs: it stays due, as a backlog would.
    await enqueueJob(server.dataSource.manager, { task: 'metrics_backlog_probe', payload: {} });
    const text = (await scrape(server.metricsUrl as string)).text;
    const labels = { organization: org.id, campaign: campaign.id };
    expect(sample(text, 'tandem_campaign_queue_depth', labels)).toBe(0);
    expect(sample(text, 'tandem_campaign_queue_oldest_wait_seconds', labels)).toBe(0);
    const task = 'metrics_backlog_probe';
    expect(sample(text, 'tandem_job_queue_jobs', { task, state: 'ready' })).toBe(1);
    expect(sample(text, 'tandem_job_queue_jobs', { task, state: 'running' })).toBe(0);
    expect(sample(text, 'tandem_job_queue_jobs', { task, state: 'failed' })).toBe(0);
    expect(sample(text, 'tandem_job_queue_oldest_ready_seconds', { task })).toBeGreaterThanOrEqual(
      0,
    );
  });

  it('counts open sockets and subscriptions while they are open', async () => {
    const org = await newOrg(server);
    const window = await openWindow(server, await newAgent(org));
    try {
      await watchLocks(window, org.inbox.id);
      const text = (await scrape(server.metricsUrl as string)).text;
      expect(sample(text, 'tandem_sockets_open')).toBe(1);
      expect(sample(text, 'tandem_windows_open')).toBe(1);
      expect(sample(text, 'tandem_subscriptions_open')).toBe(1);
      expect(sample(text, 'tandem_event_streams_open')).toBeGreaterThanOrEqual(1);
    } finally {
      await window.socket.dispose();
    }
  });
});

describe('issue 19: where /metrics answers', () => {
  it('nowhere without METRICS_TOKEN or METRICS_ADDRESS (the safe default)', async () => {
    const server = await startTestServer({ pubsub: 'in-process' });
    try {
      expect(server.metricsUrl).toBeUndefined();
      const response = await fetch(server.url.replace(/\/graphql$/, '/metrics'));
      expect(response.status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('on METRICS_ADDRESS alone when it is set, and not on the main port', async () => {
    const server = await startTestServer({
      pubsub: 'in-process',
      config: { metricsAddress: { host: '127.0.0.1', port: 0 } },
    });
    try {
      const url = server.metricsUrl as string;
      expect(new URL(url).port).not.toBe(String(server.port));
      const open = await scrape(url, null);
      expect(open.status).toBe(200);
      expect(open.text).toContain('tandem_requests_total');
      const main = await fetch(server.url.replace(/\/graphql$/, '/metrics'));
      expect(main.status).toBe(404);
      expect((await fetch(url.replace(/\/metrics$/, '/graphql'))).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('on METRICS_ADDRESS behind the token when both are set', async () => {
    const server = await startTestServer({
      pubsub: 'in-process',
      config: { metricsAddress: { host: '127.0.0.1', port: 0 }, metricsToken: TOKEN },
    });
    try {
      expect((await scrape(server.metricsUrl as string, null)).status).toBe(401);
      expect((await scrape(server.metricsUrl as string)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
