import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../logger';
import { appendEvent } from '../subscriptions/event-log';
import type { EventEnvelope, PubSubEngine } from '../subscriptions/pubsub';

/** A transaction in progress, and what it will announce once committed. */
export class Tx {
  readonly events: EventEnvelope[] = [];
  readonly broadcasts: Array<{ topic: string; message: unknown }> = [];
  readonly afterCommitTasks: Array<() => Promise<unknown>> = [];

  constructor(readonly manager: EntityManager) {}

  /**
   * Logs an event on a stream (its seq is decided here, by Postgres) to be published after
   * commit. A rolled-back transaction publishes nothing.
   */
  async emit(stream: string, organizationId: string, payload: object): Promise<EventEnvelope> {
    const event = await appendEvent(
      this.manager,
      stream,
      organizationId,
      payload as Record<string, unknown>,
    );
    this.events.push(event);
    return event;
  }

  /** Events a SQL function logged in this transaction, to be published after commit too. */
  adopt(events: EventEnvelope[]): void {
    this.events.push(...events);
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
    let tx: Tx | undefined;
    const result = await this.dataSource.transaction(async (manager) => {
      tx = new Tx(manager);
      return work(tx);
    });
    if (tx) {
      await this.publish(tx);
      for (const task of tx.afterCommitTasks) {
        await task().catch((error: unknown) =>
          this.logger.error('after-commit work failed', error),
        );
      }
    }
    return result;
  }

  /**
   * Publishes events a statement logged and committed on its own (a single-statement SQL
   * function run outside any transaction).
   */
  publishEvents(events: EventEnvelope[]): Promise<void> {
    return this.publish({ events, broadcasts: [] });
  }

  private async publish(tx: Pick<Tx, 'events' | 'broadcasts'>): Promise<void> {
    // Issued in order on one connection, so one instance's events of a stream stay in order.
    const sends = [
      ...tx.events.map((event) => this.pubsub.publish(event.stream, event)),
      ...tx.broadcasts.map(({ topic, message }) => this.pubsub.publish(topic, message)),
    ];
    const results = await Promise.allSettled(sends);
    for (const result of results) {
      // Committed is committed: subscribers fill the gap from the event log.
      if (result.status === 'rejected')
        this.logger.error('publish after commit failed', result.reason);
    }
  }
}
