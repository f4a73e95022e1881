import type { PoolClient } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Logger } from '../logger';
import { appendEventsAndCommit, type PendingEvent } from '../subscriptions/event-log';
import type { EventEnvelope, PubSubEngine } from '../subscriptions/pubsub';

/** A transaction in progress, and what it will announce once committed. */
export class Tx {
  /** Logged, to be published after commit. */
  readonly events: EventEnvelope[] = [];
  readonly broadcasts: Array<{ topic: string; message: unknown }> = [];
  readonly afterCommitTasks: Array<() => Promise<unknown>> = [];
  private readonly pending: PendingEvent[] = [];

  constructor(readonly manager: EntityManager) {}

  /**
   * An event on a stream, to be published after commit. It is logged (and its seq decided, by
   * Postgres) with the transaction's other events in its last statement: a stream's writers
   * queue on its sequence row, so it is taken as late as possible, just before the commit.
   * A rolled-back transaction logs and publishes nothing.
   */
  emit(stream: string, organizationId: string, payload: object): void {
    this.pending.push({ stream, org: organizationId, payload: payload as Record<string, unknown> });
  }

  /** Events a SQL function returned unlogged, to be logged with the transaction's own. */
  enqueue(events: PendingEvent[]): void {
    this.pending.push(...events);
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

/** Service methods run their rules in one transaction and publish only after it commits. */
export class UnitOfWork {
  constructor(
    readonly dataSource: DataSource,
    private readonly pubsub: PubSubEngine,
    private readonly logger: Logger,
  ) {}

  async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let tx: Tx;
    let result: T;
    try {
      await runner.startTransaction();
      tx = new Tx(runner.manager);
      result = await work(tx);
      await this.commit(runner, tx);
    } catch (error) {
      // Also after a failed COMMIT (the transaction is already over: Postgres only warns).
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    this.publish(tx);
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
  private async commit(runner: QueryRunner, tx: Tx): Promise<void> {
    const pending = tx.takePending();
    if (pending.length === 0) {
      await runner.commitTransaction();
      return;
    }
    const client = (await runner.connect()) as PoolClient;
    const logger = this.dataSource.logger;
    tx.events.push(
      ...(await appendEventsAndCommit(client, pending, (sql) => logger.logQuery(sql))),
    );
    // TypeORM's runner did not send this COMMIT: tell it the transaction is over.
    Object.assign(runner, { isTransactionActive: false, transactionDepth: 0 });
  }

  /**
   * Publishes events a statement logged and committed on its own (a single-statement SQL
   * function run outside any transaction).
   */
  publishEvents(events: EventEnvelope[]): void {
    this.publish({ events, broadcasts: [] });
  }

  /**
   * Hands the messages to the PubSub in order (one instance's events of a stream stay in order)
   * without waiting for them: the change is committed, so its answer goes out now, whether
   * Redis is there or not. A publish that fails is logged by the engine; subscribers catch up
   * from the event log.
   */
  private publish(tx: Pick<Tx, 'events' | 'broadcasts'>): void {
    for (const event of tx.events) {
      this.pubsub.publish(event.stream, event).catch(ignore);
    }
    for (const { topic, message } of tx.broadcasts) {
      this.pubsub.publish(topic, message).catch(ignore);
    }
  }
}

/** A failed publish is the engine's to report (once per outage, not once per event). */
const ignore = (): void => undefined;
