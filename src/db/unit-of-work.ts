import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Logger } from '../logger';
import { appendEventsAndCommit, appendPendingAndCommit } from './event-store';
import type { EventEnvelope, EventPublisher, PendingEvent } from './events';
import { StreamSequencer } from './stream-sequencer';
import { clientOf, markTransactionEnded } from './typeorm-adapter';

/** A transaction in progress, and what it will announce once committed. */
export class Tx {
  /** Logged, to be published after commit. */
  readonly events: EventEnvelope[] = [];
  readonly broadcasts: Array<{ topic: string; message: unknown }> = [];
  readonly afterCommitTasks: Array<() => Promise<unknown>> = [];
  private readonly pending: PendingEvent[] = [];

  constructor(readonly manager: EntityManager) {}

  /**
   * Events on their streams, to be published after commit: the one way a service logs events.
   * Either one (its stream, organization and payload) or those an SQL rule run in this
   * transaction returned. They are logged (and their seq decided, by Postgres) together in the
   * transaction's last statement: a stream's writers queue on its sequence row, so it is taken as
   * late as possible, just before the commit. A rolled-back transaction logs and publishes nothing.
   */
  emit(stream: string, organizationId: string, payload: object): void;
  emit(events: readonly PendingEvent[]): void;
  emit(
    streamOrEvents: string | readonly PendingEvent[],
    organizationId?: string,
    payload?: object,
  ) {
    if (typeof streamOrEvents === 'string') {
      this.pending.push({
        stream: streamOrEvents,
        org: organizationId as string,
        payload: payload as Record<string, unknown>,
      });
    } else {
      this.pending.push(...streamOrEvents);
    }
  }

  /** The events to log as the transaction's last statement; none are pending afterwards. */
  takePending(): PendingEvent[] {
    return this.pending.splice(0);
  }

  /**
   * Work that must see this transaction committed (e.g. routing the queue into capacity it
   * freed). It runs after the events are published; its failures are logged, not thrown: the
   * change itself is done.
   */
  afterCommit(task: () => Promise<unknown>): void {
    this.afterCommitTasks.push(task);
  }

  /** A message for other instances that is not part of any stream (e.g. "close these sockets"). */
  broadcast(topic: string, message: unknown): void {
    this.broadcasts.push({ topic, message });
  }
}

/** How a transaction's events are logged. */
export interface RunOptions {
  /**
   * Logged unnumbered in the commit and numbered by the sequencer once committed (not awaited:
   * the sweeper numbers what a failed run leaves). For a frequent writer of a busy stream whose
   * caller does not need the events out before it goes on (the outbox's SENT records): the
   * stream's row is not held through the commit's disk flush, so such writers commit side by side.
   */
  numberAfterCommit?: boolean;
}

/**
 * Service methods run their rules in one transaction and publish only after it commits. The
 * events of a statement that committed on its own (an SQL rule run as one statement: a lock
 * operation, a drain of the queue) go out through `publishEvents` (numbered in the statement) or
 * `sequence` (logged pending: numbered now, then published).
 */
export class UnitOfWork {
  private readonly sequencer: StreamSequencer;

  constructor(
    readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
  ) {
    this.sequencer = new StreamSequencer(dataSource, (events) => this.publishEvents(events));
  }

  async run<T>(work: (tx: Tx) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let tx: Tx;
    let result: T;
    let unnumbered: string[] = [];
    try {
      await runner.startTransaction();
      tx = new Tx(runner.manager);
      result = await work(tx);
      unnumbered = await this.commit(runner, tx, options);
    } catch (error) {
      // Also after a failed COMMIT (the transaction is already over: Postgres only warns).
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    this.publish(tx);
    if (unnumbered.length) {
      this.sequence(unnumbered).catch((error: unknown) =>
        this.logger.error('numbering events failed (the sweeper will)', error),
      );
    }
    for (const task of tx.afterCommitTasks) {
      await task().catch((error: unknown) => this.logger.error('after-commit work failed', error));
    }
    return result;
  }

  /**
   * Logs the transaction's events and commits in one message to Postgres: otherwise every
   * writer of a busy stream (an inbox's conversations) would wait, in turn, for the one before it
   * to be scheduled again here just to send COMMIT.
   */
  private async commit(runner: QueryRunner, tx: Tx, options: RunOptions): Promise<string[]> {
    const pending = tx.takePending();
    if (pending.length === 0) {
      await runner.commitTransaction();
      return [];
    }
    const client = await clientOf(runner);
    const logger = this.dataSource.logger;
    const logQuery = (sql: string) => logger.logQuery(sql);
    if (options.numberAfterCommit) {
      const streams = await appendPendingAndCommit(client, pending, logQuery);
      markTransactionEnded(runner);
      return streams;
    }
    tx.events.push(...(await appendEventsAndCommit(client, pending, logQuery)));
    markTransactionEnded(runner);
    return [];
  }

  /** Hands the events a statement numbered and committed on its own to the PubSub. */
  publishEvents(events: EventEnvelope[]): void {
    this.publish({ events, broadcasts: [] });
  }

  /**
   * Has the events a statement logged pending on these streams, and committed, numbered and
   * handed to the PubSub (one sequencer run per stream at a time on this instance); resolves
   * once they are.
   */
  async sequence(streams: string[]): Promise<void> {
    await Promise.all(streams.map((stream) => this.sequencer.sequence(stream)));
  }

  /** Numbers what other instances logged pending and never numbered; answers how many streams. */
  sequenceStale(): Promise<number> {
    return this.sequencer.sequenceStale();
  }

  /** Resolves once the numbering under way has ended (a stopping instance, before its database goes). */
  settled(): Promise<void> {
    return this.sequencer.settled();
  }

  /**
   * Hands the messages to the PubSub in order (one instance's events of a stream stay in order)
   * without waiting for them: the change is committed, so its answer goes out now, whether
   * Redis is there or not. A publish that fails is logged by the engine; subscribers catch up
   * from the event log.
   */
  private publish(tx: Pick<Tx, 'events' | 'broadcasts'>): void {
    for (const event of tx.events) {
      this.publisher.publish(event.stream, event).catch(ignore);
    }
    for (const { topic, message } of tx.broadcasts) {
      this.publisher.publish(topic, message).catch(ignore);
    }
  }
}

/** A failed publish is the engine's to report (once per outage, not once per event). */
const ignore = (): void => undefined;
