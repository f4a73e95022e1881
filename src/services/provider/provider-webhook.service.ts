import { randomUUID } from 'node:crypto';
import { enqueueJob, insertWithJobs } from '../../db/job-queue';
import { preparedQuery } from '../../db/prepared';
import type { UnitOfWork } from '../../db/unit-of-work';
import { aliasedColumns, hydrate } from '../../db/rows';
import { ProviderWebhook } from '../../entities/provider-webhook.entity';
import { Provider } from '../../entities/provider.entity';
import type { Logger } from '../../logger';
import type { InboundMessage } from '../campaign/inbound.service';
import { WriteBatcher } from '../../util/write-batcher';
import { adapterFor, type WebhookEvent } from './adapters';
import type { DeliveryStore } from './delivery.store';
import type { OutboxService } from './outbox.service';
import type { ProviderCredentials, ProviderService } from './provider.service';

export const WEBHOOK_TASK = 'process-provider-webhook';

/** The 24-hour customer-service window of WhatsApp (issue 16 item 7). */
const REPLY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A status callback for a message not recorded yet is tried again for this long, then dropped. */
const UNKNOWN_STATUS_PATIENCE_MS = 5 * 60_000;

type MessageEvent = Extract<WebhookEvent, { kind: 'MESSAGE' }>;
type StatusEvent = Extract<WebhookEvent, { kind: 'STATUS' }>;

/** A verified delivery, as stored. */
interface ReceivedWebhook {
  /** Given here, so that a batch's store tells which of its deliveries it kept. */
  id: string;
  organizationId: string;
  providerId: string;
  rawBody: Buffer;
  headers: Record<string, string>;
  publicUrl: string;
}

/**
 * Deliveries stored (with their jobs) per statement at most, and statements under way at once.
 * Adding a job wakes the workers with a NOTIFY, and Postgres lets one notifying transaction
 * commit at a time, through its disk flush: stored one per statement, a burst of webhooks would
 * be answered one disk flush after another.
 */
const INTAKE_BATCH = 100;
const INTAKE_IN_FLIGHT = 2;

/**
 * Answering comes first: while webhooks arrive in a burst at this instance (BURST_ARRIVALS begun
 * within BURST_WINDOW_MS: 200/s and more), a webhook job waits for the burst to pass (at most
 * ANSWERS_FIRST_MAX_MS). Run beside the burst, the jobs' statements and their work on this
 * process's event loop sat in front of every answer (500 webhooks/s: p99 153 ms, against 46 ms
 * for a handler storing each with no job beside it); the burst stored and answered, they catch
 * up. A lone webhook, or a few together (a message and its status), is no burst: its job runs at
 * once.
 */
const BURST_ARRIVALS = 4;
const BURST_WINDOW_MS = 20;
const ANSWERS_FIRST_MAX_MS = 2_000;
const ANSWERS_FIRST_POLL_MS = 5;

/** What inbound processing needs of the campaign side (C3; InboundService.receiveAll). */
export interface InboundReceiver {
  /**
   * A delivery's customer messages stored in one statement; with `webhookId`, the delivery
   * marked processed in the same commit.
   */
  receiveAll(
    providerId: string,
    messages: ReadonlyArray<Omit<InboundMessage, 'providerId'>>,
    webhookId: string | null,
  ): Promise<Array<{ conversationId: string | null; messageId: string; duplicate: boolean }>>;
}

/**
 * Provider webhooks (C1, C3): verified, stored as received and answered at once; processed from
 * the stored row by a job (`process-provider-webhook`), with graphile-worker's retries. Every
 * step is safe to run again: an inbound message is stored once (the unique provider message id),
 * a status callback only moves a delivery forward.
 */
export class ProviderWebhookService {
  private readonly intake = new WriteBatcher<ReceivedWebhook, boolean>(
    (batch) => this.storeReceived(batch),
    {
      maxBatch: INTAKE_BATCH,
      maxInFlight: INTAKE_IN_FLIGHT,
    },
  );

  /** When the last BURST_ARRIVALS deliveries arrived (a ring, `arrivals` of them so far). */
  private readonly arrivedAt = new Array<number>(BURST_ARRIVALS).fill(-Infinity);
  private arrivals = 0;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: ProviderService,
    private readonly outbox: OutboxService,
    private readonly store: DeliveryStore,
    private readonly inbound: InboundReceiver,
    private readonly logger: Logger,
  ) {}

  async accept(delivery: {
    providerId: string;
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    publicUrl: string;
  }) {
    this.arrivedAt[this.arrivals++ % BURST_ARRIVALS] = performance.now();
    return this.verifyAndStore(delivery);
  }

  /** Whether webhooks are arriving in a burst (the oldest of the last few arrived just now). */
  private inBurst(): boolean {
    const oldest = this.arrivedAt[this.arrivals % BURST_ARRIVALS] as number;
    return performance.now() - oldest < BURST_WINDOW_MS;
  }

  private async verifyAndStore(delivery: {
    providerId: string;
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    publicUrl: string;
  }) {
    let { credentials, recent } = await this.providers.verifyingCredentials(delivery.providerId);
    if (!credentials) return { outcome: 'UNKNOWN_PROVIDER' as const };
    if (!adapterFor(credentials.kind).verify(credentials, delivery)) {
      // Perhaps a secret changed since this instance read it: a refusal is decided on fresh ones.
      if (!recent) return { outcome: 'BAD_SIGNATURE' as const };
      ({ credentials, recent } = await this.providers.verifyingCredentials(
        delivery.providerId,
        true,
      ));
      if (!credentials) return { outcome: 'UNKNOWN_PROVIDER' as const };
      if (!adapterFor(credentials.kind).verify(credentials, delivery))
        return { outcome: 'BAD_SIGNATURE' as const };
    }
    // Stored and its job added in one statement (with those of the deliveries that arrived
    // meanwhile, when a store is under way): the answer waits for one round trip, or two.
    const received: ReceivedWebhook = {
      id: randomUUID(),
      organizationId: credentials.organizationId,
      providerId: credentials.providerId,
      rawBody: delivery.rawBody,
      headers: keptHeaders(delivery.headers),
      publicUrl: delivery.publicUrl,
    };
    // Not stored when its provider was deleted since the credentials were read (on this
    // instance or another, which may verify with them for a few seconds more): nothing to store
    // it for, as a moment later.
    if (!(await this.intake.add(received))) return { outcome: 'UNKNOWN_PROVIDER' as const };
    return { outcome: 'STORED' as const, kind: credentials.kind as string };
  }

  /**
   * Deliveries stored as received, each with its processing job, in one statement. Only those
   * whose provider still exists: its row is locked (key share) by the insert, so a delete under
   * way is waited for and its provider's deliveries are left out, where the foreign key would
   * fail the whole batch, every other provider's deliveries with it, as 500s. Answers, for each
   * delivery, whether it was stored.
   */
  private async storeReceived(batch: ReceivedWebhook[]): Promise<boolean[]> {
    const ids = await insertWithJobs(
      this.uow.dataSource,
      {
        sql: `INSERT INTO provider_webhook (id, organization_id, provider_id, raw_body, headers, public_url)
              SELECT r.id, r.organization_id, r.provider_id, decode(r.raw_body, 'base64'), r.headers, r.public_url
                FROM jsonb_to_recordset($1::jsonb) AS r(
                       id uuid, organization_id uuid, provider_id uuid, raw_body text, headers jsonb,
                       public_url text)
                JOIN provider p ON p.id = r.provider_id
                 FOR KEY SHARE OF p
              RETURNING id`,
        values: [
          JSON.stringify(
            batch.map((webhook) => ({
              id: webhook.id,
              organization_id: webhook.organizationId,
              provider_id: webhook.providerId,
              raw_body: webhook.rawBody.toString('base64'),
              headers: webhook.headers,
              public_url: webhook.publicUrl,
            })),
          ),
        ],
      },
      { task: WEBHOOK_TASK, idKey: 'webhookId', keyPrefix: 'webhook:' },
    );
    const stored = new Set(ids);
    return batch.map((webhook) => stored.has(webhook.id));
  }

  async handshake(providerId: string, query: Record<string, unknown>) {
    const credentials = await this.providers.credentialsOf(providerId);
    if (!credentials) return { outcome: 'UNKNOWN_PROVIDER' as const };
    const challenge = adapterFor(credentials.kind).handshake(credentials, query);
    return challenge === null
      ? { outcome: 'REFUSED' as const }
      : { outcome: 'CHALLENGE' as const, challenge };
  }

  /** The job: what the stored delivery says, applied; throws (to be retried) when a step fails. */
  async process(webhookId: string): Promise<void> {
    await this.answersFirst();
    const manager = this.uow.dataSource.manager;
    const stored = await this.storedWebhook(webhookId);
    if (!stored || stored.webhook.processedAt) return;
    const { webhook, credentials } = stored;
    if (!credentials) return;
    try {
      const events = adapterFor(credentials.kind).parse(credentials, {
        rawBody: webhook.rawBody,
        headers: webhook.headers,
        publicUrl: webhook.publicUrl,
        receivedAt: webhook.receivedAt,
      });
      const messages = events.filter((event): event is MessageEvent => event.kind === 'MESSAGE');
      const statuses = events.filter((event): event is StatusEvent => event.kind === 'STATUS');
      // The customer's messages in one statement, which marks the delivery processed when they
      // are all it says (the usual delivery: one statement for the whole job).
      const doneWithMessages = messages.length > 0 && statuses.length === 0;
      if (messages.length) {
        await this.inbound.receiveAll(
          webhook.providerId,
          messages.map(inboundOf),
          doneWithMessages ? webhookId : null,
        );
      }
      for (const status of statuses) await this.applyStatus(webhook, status);
      if (!doneWithMessages) {
        await manager.update(
          ProviderWebhook,
          { id: webhookId },
          { processedAt: () => 'now()', attempts: () => 'attempts + 1', lastError: null },
        );
      }
    } catch (error) {
      if (await this.providerGone(webhook.providerId)) {
        // Deleted while this ran (its foreign key refused the message): the delivery went with
        // it (ON DELETE CASCADE), as one arriving a moment later is refused (404). Retrying
        // would find nothing; failing would only log an error and schedule that retry.
        this.logger.info(`webhook ${webhookId}: its provider was deleted meanwhile; dropped`);
        return;
      }
      await manager.update(
        ProviderWebhook,
        { id: webhookId },
        { attempts: () => 'attempts + 1', lastError: String((error as Error).message) },
      );
      throw error;
    }
  }

  private async providerGone(providerId: string): Promise<boolean> {
    const rows = (await this.uow.dataSource.query('SELECT 1 FROM provider WHERE id = $1', [
      providerId,
    ])) as unknown[];
    return rows.length === 0;
  }

  /** Waits while webhooks arrive here in a burst (ANSWERS_FIRST_MAX_MS at most). */
  private async answersFirst(): Promise<void> {
    const deadline = Date.now() + ANSWERS_FIRST_MAX_MS;
    while (this.inBurst() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, ANSWERS_FIRST_POLL_MS));
    }
  }

  /** A stored delivery and its provider's credentials, read in one statement. */
  private async storedWebhook(
    webhookId: string,
  ): Promise<{ webhook: ProviderWebhook; credentials: ProviderCredentials | null } | null> {
    const dataSource = this.uow.dataSource;
    const [row] = await preparedQuery(
      dataSource,
      `SELECT ${aliasedColumns(dataSource, ProviderWebhook, 'w')}, ${aliasedColumns(dataSource, Provider, 'p')}
         FROM provider_webhook w LEFT JOIN provider p ON p.id = w.provider_id
        WHERE w.id = $1`,
      [webhookId],
    );
    if (!row) return null;
    return {
      webhook: hydrate(dataSource, ProviderWebhook, row, 'w'),
      credentials: row.p_id
        ? this.providers.credentialsFrom(hydrate(dataSource, Provider, row, 'p'))
        : null,
    };
  }

  /**
   * Deliveries whose job was lost (its instance died while running it) are added again once
   * they have waited `staleMs` unprocessed; a pending job keeps its time.
   */
  async sweep(staleMs = 120_000): Promise<number> {
    return this.uow.run(async (tx) => {
      const rows = (await tx.manager.query(
        `SELECT id FROM provider_webhook
          WHERE processed_at IS NULL
            AND received_at < now() - make_interval(secs => $1 / 1000.0)
          ORDER BY received_at LIMIT 500`,
        [staleMs],
      )) as Array<{ id: string }>;
      for (const { id } of rows) {
        await enqueueJob(tx.manager, {
          task: WEBHOOK_TASK,
          payload: { webhookId: id },
          jobKey: `webhook:${id}`,
          jobKeyMode: 'preserve_run_at',
        });
      }
      return rows.length;
    });
  }

  private async applyStatus(webhook: ProviderWebhook, event: StatusEvent): Promise<void> {
    const known = await this.uow.run(async (tx) => {
      const result = await this.store.applyStatus(
        tx.manager,
        webhook.providerId,
        event.providerMessageId,
        event.state,
        event.errorCode ?? null,
        event.failureClass === 'NEEDS_TEMPLATE'
          ? `Needs a template: the customer's 24-hour window is closed (${event.errorReason})`
          : (event.errorReason ?? null),
      );
      if (result?.moved) await this.outbox.announce(tx, result.messageId);
      return result !== null;
    });
    if (known) return;
    // The send that made this id may not have recorded it yet: let the job try again, for a while.
    if (Date.now() - webhook.receivedAt.getTime() < UNKNOWN_STATUS_PATIENCE_MS) {
      throw new Error(`status for unknown message ${event.providerMessageId}: will retry`);
    }
    this.logger.info(`webhook ${webhook.id}: status for unknown message dropped`);
  }
}

/** A customer's message as the campaign side takes it. */
function inboundOf(event: MessageEvent) {
  return {
    providerMessageId: event.providerMessageId,
    from: event.from,
    to: event.to,
    body: event.body,
    providerTimestamp: event.providerTimestamp,
    contentType: event.contentType,
    profileName: event.profileName ?? null,
    // The window runs from the provider's time of the customer's message (not its receipt).
    replyWindowClosesAt: new Date(event.providerTimestamp.getTime() + REPLY_WINDOW_MS),
  };
}

/** The headers worth keeping with a stored delivery (never cookies or auth). */
function keptHeaders(headers: Record<string, string | string[] | undefined>) {
  const kept: Record<string, string> = {};
  for (const name of ['content-type', 'x-hub-signature-256', 'x-twilio-signature', 'user-agent']) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}
