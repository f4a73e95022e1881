import { SYSTEM_ACTOR } from '../../context/auth';
import { enqueueJob, enqueueKeyedJobsLazily } from '../../db/job-queue';
import type { QueryRunner } from 'typeorm';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Campaign } from '../../entities/campaign.entity';
import { CannedResponse } from '../../entities/canned-response.entity';
import { Conversation } from '../../entities/conversation.entity';
import { DeliveryState } from '../../entities/enums';
import { Message } from '../../entities/message.entity';
import { ProviderHealthState, Provider } from '../../entities/provider.entity';
import {
  BadInputError,
  ConflictError,
  NotFoundError,
  ReplyWindowClosedError,
} from '../../errors/domain-error';
import type { Logger } from '../../logger';
import { ConversationEventKind } from '../../subscriptions/payloads';
import { emitConversationEvent } from '../conversation/conversation-events';
import { adapterFor, type OutboundContent, type SendFailure } from './adapters';
import type { DeliveryStore } from './delivery.store';
import type { ProviderCredentials, ProviderService } from './provider.service';
import { PROVIDER_REMOVED } from './removed-provider';

/** The names jobs are added with; src/jobs/tasks maps them to the methods below. */
export const OUTBOX_TASKS = {
  deliver: 'deliver-outbox',
  probe: 'probe-provider',
} as const;

export interface OutboxSettings {
  /** Minimum time between two sends of one sender number, across instances (the throttle). */
  sendIntervalMs: number;
  /** First retry delay; it doubles with each attempt, up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Sends tried before a message is FAILED (`OUTBOX_GAVE_UP`). */
  maxAttempts: number;
}

/** What a reply to a campaign interaction sends, once its input is read. */
export interface OutgoingReply {
  body: string;
  fields: Pick<Message, 'deliveryState' | 'providerId' | 'templateName' | 'templateLanguage'>;
}

/** A message the outbox is about to send: its row, and what the adapter needs. */
interface PendingSend {
  message: Message;
  provider: Provider;
  /** The provider's credentials, opened once per batch (its sends share the provider). */
  credentials: ProviderCredentials;
  to: string;
  /** When the provider's send slot reserved for it comes (`Date.now()` time). */
  slotAt: number;
}

/**
 * Messages a drain reads (and reserves send slots for) per statement: fewer statements per send,
 * while a batch's slots hold the provider's other senders back by at most this many intervals.
 */
const OUTBOX_BATCH = 10;

/** Conversations whose drain jobs `release` and `sweep` add per statement. */
const OUTBOX_RELEASE_CHUNK = 25;

/** PostgreSQL's deadlock_detected, as TypeORM's QueryFailedError carries it. */
const isDeadlock = (error: unknown) =>
  (error as { driverError?: { code?: string } }).driverError?.code === '40P01';

/**
 * How long an accepted send's DELIVERY event waits to be numbered with the others (`sequenceSoon`):
 * the console sees SENT this much later, at most; well under what a person notices.
 */
const SEQUENCE_DELAY_MS = 10;

/**
 * C6: replies to campaign interactions go out through an outbox. The message row is the outbox
 * entry (QUEUED, no provider id yet); a `deliver-outbox` job per conversation (job key
 * `outbox:{id}`) sends its QUEUED messages in order. The message and its job are written in the
 * sender's transaction, so a reply is never lost nor sent without being stored.
 *
 * One drain per conversation at a time, across instances: a session advisory lock on the
 * drain's connection (released by Postgres if the instance dies, unlike a job's lock). Within a
 * drain, a retryable failure stops the conversation (later messages wait: order is kept) and
 * re-adds its job at a capped exponential backoff; a permanent failure fails that message only;
 * refused credentials mark the provider FAILING and hold its outbox until `updateProvider` or a
 * `probe-provider` job's retry succeeds.
 *
 * A message whose provider id is recorded is never sent again. The one window for a double
 * send is a crash between the provider accepting a message and our write of its id; neither
 * Meta's nor Twilio's send API takes an idempotency key, so that is at-least-once.
 */
export class OutboxService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: ProviderService,
    private readonly store: DeliveryStore,
    private readonly settings: OutboxSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * Reads a reply to a campaign interaction (text or a canned response) and checks the 24-hour
   * window: free text outside it is refused now (REPLY_WINDOW_CLOSED), not queued to fail later.
   */
  async prepare(
    tx: Tx,
    conversation: Conversation,
    input: { body?: string | null; cannedResponseId?: string | null },
  ): Promise<OutgoingReply> {
    const campaign = await tx.manager.findOneBy(Campaign, { id: conversation.campaignId! });
    if (!campaign?.providerId) {
      throw new ConflictError('The campaign has no provider to send through');
    }
    let body = input.body?.trim() ?? '';
    let template: { name: string; language: string } | null = null;
    if (input.cannedResponseId) {
      if (body) throw new BadInputError('body', 'Send either a body or a canned response');
      const canned = await tx.manager.findOneBy(CannedResponse, {
        id: input.cannedResponseId,
        campaignId: campaign.id,
      });
      if (!canned) throw new NotFoundError('CannedResponse', input.cannedResponseId);
      body = canned.body;
      if (canned.templateName && canned.templateLanguage) {
        template = { name: canned.templateName, language: canned.templateLanguage };
      }
    }
    if (!body) throw new BadInputError('body', 'A message needs a body or a canned response');
    const closesAt = conversation.replyWindowClosesAt;
    if (!template && !(closesAt && closesAt.getTime() > Date.now())) {
      throw new ReplyWindowClosedError(closesAt);
    }
    return {
      body,
      fields: {
        deliveryState: DeliveryState.QUEUED,
        providerId: campaign.providerId,
        templateName: template?.name ?? null,
        templateLanguage: template?.language ?? null,
      },
    };
  }

  /**
   * C6: an agent's retry of a FAILED message: the same message goes back to the outbox (QUEUED,
   * its attempts and error cleared, a new delivery job) in the caller's transaction. A provider
   * id a failed send was given is forgotten: the retry is a new send, by the agent's decision.
   * Free text whose window has closed (a needs-template failure among them) is refused as a new
   * reply would be (REPLY_WINDOW_CLOSED); a template goes at any time. A message whose provider
   * was deleted goes through the campaign's provider as it is now (CONFLICT when it has none).
   */
  async retry(tx: Tx, conversation: Conversation, message: Message): Promise<Message> {
    if (message.deliveryState !== DeliveryState.FAILED)
      throw new ConflictError(
        `Only a FAILED message is retried: this one is ${message.deliveryState}`,
        { deliveryState: message.deliveryState },
      );
    // Its provider deleted (PROVIDER_REMOVED): the retry goes through the campaign's provider.
    const providerId =
      message.providerId ??
      (conversation.campaignId
        ? (await tx.manager.findOneBy(Campaign, { id: conversation.campaignId }))?.providerId
        : null);
    if (!providerId)
      throw new ConflictError(
        conversation.campaignId
          ? 'The campaign has no provider to send through'
          : 'This message was never for a provider: there is nothing to retry',
      );
    const closesAt = conversation.replyWindowClosesAt;
    const template = message.templateName !== null && message.templateLanguage !== null;
    if (!template && !(closesAt && closesAt.getTime() > Date.now())) {
      throw new ReplyWindowClosedError(closesAt);
    }
    await tx.manager.update(
      Message,
      { id: message.id, deliveryState: DeliveryState.FAILED },
      {
        deliveryState: DeliveryState.QUEUED,
        providerId,
        providerMessageId: null,
        deliveryErrorCode: null,
        deliveryErrorReason: null,
        deliveryUpdatedAt: () => 'now()',
        sendAttempts: 0,
        lastSendAttemptAt: null,
      },
    );
    await this.enqueue(tx, conversation.id);
    await this.announce(tx, message.id);
    return tx.manager.findOneByOrFail(Message, { id: message.id });
  }

  /** Adds the conversation's delivery job, in the sender's transaction. */
  async enqueue(tx: Tx, conversationId: string, runAt?: Date): Promise<void> {
    await enqueueJob(tx.manager, {
      task: OUTBOX_TASKS.deliver,
      payload: { conversationId },
      jobKey: `outbox:${conversationId}`,
      runAt,
    });
  }

  /** The `deliver-outbox` job: sends the conversation's QUEUED messages, oldest first. */
  async deliver(conversationId: string, { probe = false } = {}): Promise<'DRAINED' | 'STOPPED'> {
    const runner = this.uow.dataSource.createQueryRunner();
    try {
      const [{ locked }] = (await runner.query(
        `SELECT pg_try_advisory_lock(hashtextextended('tandem:outbox:' || $1, 0)) AS locked`,
        [conversationId],
      )) as Array<{ locked: boolean }>;
      if (!locked) {
        // Another drain of this conversation is running: look again shortly, after it.
        await this.uow.run((tx) => this.enqueue(tx, conversationId, new Date(Date.now() + 1000)));
        return 'STOPPED';
      }
      try {
        let first = true;
        for (;;) {
          // Read and recorded through the drain's own connection: 4 drains held 4 of the
          // pool's connections and took 2 more per send.
          const { batch, last } = await this.nextBatch(conversationId, runner);
          if (batch.length === 0) return 'DRAINED';
          for (const pending of batch) {
            const held =
              pending.provider.healthState === ProviderHealthState.FAILING && !(probe && first);
            if (held) {
              await this.scheduleProbe(pending.provider.id);
              return 'STOPPED';
            }
            first = false;
            if (!(await this.sendOne(pending, runner))) return 'STOPPED';
          }
          // Nothing was queued behind them: no read to find that out (one statement a drain).
          if (last) return 'DRAINED';
        }
      } finally {
        await runner.query(
          `SELECT pg_advisory_unlock(hashtextextended('tandem:outbox:' || $1, 0))`,
          [conversationId],
        );
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * The `probe-provider` job: a FAILING provider's held outbox is tried again (its oldest
   * message); a success, or the provider found OK again (`updateProvider`), releases every
   * conversation it held.
   */
  async probe(providerId: string, attempt = 1): Promise<void> {
    const provider = await this.uow.dataSource.manager.findOneBy(Provider, { id: providerId });
    if (!provider) return;
    if (provider.healthState === ProviderHealthState.OK) {
      await this.release(providerId);
      return;
    }
    const [oldest] = (await this.uow.dataSource.query(
      `SELECT conversation_id AS "conversationId" FROM message
        WHERE provider_id = $1 AND delivery_state = 'QUEUED' AND provider_message_id IS NULL
        ORDER BY position LIMIT 1`,
      [providerId],
    )) as Array<{ conversationId: string }>;
    if (!oldest) return; // nothing held: the next reply will try (and probe) again
    await this.deliver(oldest.conversationId, { probe: true });
    const after = await this.uow.dataSource.manager.findOneBy(Provider, { id: providerId });
    if (after?.healthState === ProviderHealthState.OK) await this.release(providerId);
    else await this.scheduleProbe(providerId, attempt + 1);
  }

  /**
   * Adds a delivery job for every conversation with messages held for this provider, a chunk of
   * them per statement (`enqueueDrains`): one transaction adding them all holds a job row per
   * conversation (a running job's key is cleared) while graphile-worker deletes completed ones
   * in batches, and the two can deadlock; graphile-worker 0.17 then shuts its worker pool down
   * (`JobRunner` starts it again). The likely cause of the outbox bench's stalls at 150
   * conversations; not proven by a log. A chunk can meet that only when two of its
   * conversations have a drain running (a held one stops at once), and is then added again one
   * conversation per statement.
   */
  async release(providerId: string): Promise<void> {
    const rows = (await this.uow.dataSource.query(
      `SELECT DISTINCT conversation_id AS "conversationId" FROM message
        WHERE provider_id = $1 AND delivery_state = 'QUEUED' AND provider_message_id IS NULL`,
      [providerId],
    )) as Array<{ conversationId: string }>;
    await this.enqueueDrains(rows, 'replace');
  }

  /**
   * Deliveries whose job was lost (its instance died while running it: graphile-worker keeps
   * such a job locked for hours) are added again: QUEUED messages of healthy providers not
   * tried for `staleMs`.
   */
  async sweep(staleMs = 120_000): Promise<number> {
    const rows = (await this.uow.dataSource.query(
      `SELECT DISTINCT m.conversation_id AS "conversationId"
         FROM message m JOIN provider p ON p.id = m.provider_id
        WHERE m.delivery_state = 'QUEUED' AND m.provider_message_id IS NULL
          AND p.health_state = 'OK'
          AND coalesce(m.last_send_attempt_at, m.created_at) < now() - make_interval(secs => $1 / 1000.0)`,
      [staleMs],
    )) as Array<{ conversationId: string }>;
    await this.enqueueDrains(rows, 'preserve_run_at');
    return rows.length;
  }

  /**
   * A drain job per conversation, OUTBOX_RELEASE_CHUNK conversations per statement, each
   * committing on its own without waiting for the disk (jobs lost in a crash of Postgres are
   * added back by `sweep`: their messages are still QUEUED). One statement per conversation,
   * each a durable commit, was a sixth of a statement and a WAL flush per send when a provider
   * came back with its outbox full. A chunk refused by a deadlock with graphile-worker's
   * completions (see `release`) is added again one conversation per statement.
   */
  private async enqueueDrains(
    conversations: ReadonlyArray<{ conversationId: string }>,
    jobKeyMode: 'replace' | 'preserve_run_at',
  ): Promise<void> {
    const ids = conversations.map((row) => row.conversationId);
    for (let start = 0; start < ids.length; start += OUTBOX_RELEASE_CHUNK) {
      const chunk = ids.slice(start, start + OUTBOX_RELEASE_CHUNK);
      try {
        await enqueueKeyedJobsLazily(
          this.uow.dataSource,
          {
            task: OUTBOX_TASKS.deliver,
            idKey: 'conversationId',
            keyPrefix: 'outbox:',
            preserveRunAt: jobKeyMode === 'preserve_run_at',
          },
          chunk,
        );
      } catch (error) {
        if (!isDeadlock(error)) throw error;
        for (const conversationId of chunk) {
          await enqueueJob(this.uow.dataSource.manager, {
            task: OUTBOX_TASKS.deliver,
            payload: { conversationId },
            jobKey: `outbox:${conversationId}`,
            jobKeyMode,
          });
        }
      }
    }
  }

  /** Sends one message; true when the drain may go on to the next. */
  private async sendOne(
    { message, provider, credentials, to, slotAt }: PendingSend,
    runner: QueryRunner,
  ): Promise<boolean> {
    const waitMs = slotAt - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const content: OutboundContent =
      message.templateName && message.templateLanguage
        ? { kind: 'TEMPLATE', name: message.templateName, language: message.templateLanguage }
        : { kind: 'TEXT', body: message.body };
    const result = await adapterFor(credentials.kind).send(credentials, { to, content });
    const attempts = message.sendAttempts + 1;
    if (result.ok) {
      await this.recordSent(message, result.providerMessageId, attempts, runner);
      return true;
    }
    const failure = result.failure;
    switch (failure.failureClass) {
      case 'PERMANENT':
      case 'NEEDS_TEMPLATE':
        await this.recordFailed(message, failure, attempts);
        return true;
      case 'PROVIDER_FAILING':
        await this.recordProviderFailing(message, provider, failure, attempts);
        return false;
      case 'RETRY':
        if (attempts >= this.settings.maxAttempts) {
          await this.recordFailed(
            message,
            {
              ...failure,
              code: 'OUTBOX_GAVE_UP',
              reason: `Not sent after ${attempts} attempts: ${failure.code} ${failure.reason}`,
            },
            attempts,
          );
          return true;
        }
        await this.recordRetry(message, failure, attempts);
        return false;
    }
  }

  /**
   * The conversation's next messages to send (`OUTBOX_BATCH` at most, one statement), with their
   * provider (health and credentials as they are now) and number; a message that cannot be sent
   * (no number, its provider gone) is FAILED and left out. Empty when nothing is left to send.
   */
  private async nextBatch(
    conversationId: string,
    runner: QueryRunner,
  ): Promise<{ batch: PendingSend[]; last: boolean }> {
    const readAt = Date.now();
    const { heads, last } = await this.store.outboxBatch(
      runner.manager,
      conversationId,
      this.settings.sendIntervalMs,
      OUTBOX_BATCH,
    );
    const batch: PendingSend[] = [];
    let opened: ProviderCredentials | undefined;
    for (const { message, provider, to, waitMs } of heads) {
      if (!provider || !to) {
        // No provider: it was deleted (its foreign key set to null) while this was queued, a
        // case deleteProvider fails in its own transaction; one written as it was deleted, or
        // left from before that, would otherwise block the conversation's later sends.
        await this.recordFailed(
          message,
          provider
            ? {
                failureClass: 'PERMANENT',
                code: 'NO_CONTACT',
                reason: 'The conversation has no number to send to',
              }
            : {
                failureClass: 'PERMANENT',
                code: PROVIDER_REMOVED,
                reason: 'Not sent: its provider was removed before this message went out',
              },
          message.sendAttempts,
        );
        continue;
      }
      if (opened?.providerId !== provider.id) opened = this.providers.credentialsFrom(provider);
      batch.push({ message, provider, credentials: opened, to, slotAt: readAt + waitMs });
    }
    // Every message read failed: the next ones, if any.
    return batch.length === 0 && heads.length > 0 && !last
      ? this.nextBatch(conversationId, runner)
      : { batch, last };
  }

  /**
   * The provider accepted it: its id, SENT (a FAILING provider OK again) and its DELIVERY event
   * logged, in one statement committing on its own; the event is numbered and published once
   * committed, without the drain waiting for it.
   */
  private async recordSent(
    message: Message,
    providerMessageId: string,
    attempts: number,
    runner: QueryRunner,
  ): Promise<void> {
    const streams = await this.store.recordSent(
      runner.manager,
      message.id,
      providerMessageId,
      attempts,
      SYSTEM_ACTOR,
    );
    if (streams?.length) this.sequenceSoon(streams);
  }

  /** Streams with SENT events logged pending, to number at the next `sequenceSoon` run. */
  private readonly toSequence = new Set<string>();
  private sequenceTimer: NodeJS.Timeout | undefined;

  /**
   * Numbers and publishes the DELIVERY events the SENT records logged, SEQUENCE_DELAY_MS after
   * the first of them: one numbering statement for the sends of every drain of the instance in
   * that while, where numbering each at once cost three statements for every four sends (a
   * statement, and a write to the socket, is most of a send's CPU here). A stopped instance's
   * last ones are numbered by the sweeper (within a second, by any instance).
   */
  private sequenceSoon(streams: string[]): void {
    for (const stream of streams) this.toSequence.add(stream);
    if (this.sequenceTimer) return;
    this.sequenceTimer = setTimeout(() => {
      this.sequenceTimer = undefined;
      const due = [...this.toSequence];
      this.toSequence.clear();
      if (!this.uow.dataSource.isInitialized) return; // stopped meanwhile: the sweeper's
      this.uow
        .sequence(due)
        .catch((error: unknown) =>
          this.logger.error('outbox: numbering DELIVERY events failed (the sweeper will)', error),
        );
    }, SEQUENCE_DELAY_MS);
    this.sequenceTimer.unref();
  }

  private async recordFailed(
    message: Message,
    failure: Pick<SendFailure, 'code' | 'reason' | 'failureClass'>,
    attempts: number,
  ): Promise<void> {
    const reason =
      failure.failureClass === 'NEEDS_TEMPLATE'
        ? `Needs a template: the customer's 24-hour window is closed (${failure.reason})`
        : failure.reason;
    await this.uow.run(async (tx) => {
      await tx.manager.update(
        Message,
        { id: message.id, deliveryState: DeliveryState.QUEUED },
        {
          deliveryState: DeliveryState.FAILED,
          deliveryErrorCode: failure.code,
          deliveryErrorReason: reason,
          deliveryUpdatedAt: () => 'now()',
          sendAttempts: attempts,
          lastSendAttemptAt: () => 'now()',
        },
      );
      await this.announce(tx, message.id);
    });
  }

  private async recordRetry(message: Message, failure: SendFailure, attempts: number) {
    const backoff = Math.min(
      this.settings.retryMaxMs,
      this.settings.retryBaseMs * 2 ** (attempts - 1),
    );
    const delay = Math.max(backoff, Math.min(failure.retryAfterMs ?? 0, this.settings.retryMaxMs));
    this.logger.debug(
      `outbox: ${message.id} attempt ${attempts} failed (${failure.code}), retry in ${delay} ms`,
    );
    await this.uow.run(async (tx) => {
      // Still QUEUED: a message FAILED meanwhile (its provider deleted) keeps its failure.
      await tx.manager.update(
        Message,
        { id: message.id, deliveryState: DeliveryState.QUEUED },
        {
          sendAttempts: attempts,
          lastSendAttemptAt: () => 'now()',
          deliveryErrorCode: failure.code,
          deliveryErrorReason: `retrying: ${failure.reason}`,
        },
      );
      await this.enqueue(tx, message.conversationId, new Date(Date.now() + delay));
    });
  }

  private async recordProviderFailing(
    message: Message,
    provider: Provider,
    failure: SendFailure,
    attempts: number,
  ): Promise<void> {
    await this.uow.run(async (tx) => {
      await tx.manager.update(
        Message,
        { id: message.id, deliveryState: DeliveryState.QUEUED },
        { sendAttempts: attempts, lastSendAttemptAt: () => 'now()' },
      );
      await tx.manager.query(
        `UPDATE provider SET health_state = 'FAILING', last_error = $2,
                failing_since = coalesce(failing_since, now())
          WHERE id = $1`,
        [provider.id, `${failure.code}: ${failure.reason}`],
      );
    });
    await this.scheduleProbe(provider.id);
  }

  /** A probe of a FAILING provider, later each time (capped): one pending per provider. */
  private async scheduleProbe(providerId: string, attempt = 1): Promise<void> {
    const delay = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** attempt);
    await this.uow.run((tx) =>
      enqueueJob(tx.manager, {
        task: OUTBOX_TASKS.probe,
        payload: { providerId, attempt },
        jobKey: `probe:${providerId}`,
        jobKeyMode: 'preserve_run_at',
        runAt: new Date(Date.now() + delay),
      }),
    );
  }

  /** Tells the conversation's watchers that a message's delivery changed (after commit). */
  async announce(tx: Tx, messageId: string): Promise<void> {
    const message = await tx.manager.findOneBy(Message, { id: messageId });
    if (!message) return;
    const conversation = await tx.manager.findOneBy(Conversation, { id: message.conversationId });
    if (!conversation) return;
    emitConversationEvent(tx, conversation, ConversationEventKind.DELIVERY, SYSTEM_ACTOR, message);
  }
}
