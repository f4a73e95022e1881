/**
 * Events as the log writes them and instances pass them on. They travel between instances as
 * JSON (a Date would arrive as a string), so they hold plain values only.
 */

/** An event not logged yet: its stream, organization and what it says (SQL: tandem_event). */
export interface PendingEvent {
  stream: string;
  org: string;
  payload: Record<string, unknown>;
}

/** A logged event: its place in its stream, decided by Postgres, and what it says. */
export interface EventEnvelope<P = Record<string, unknown>> {
  stream: string;
  /** Position in the stream, decided by Postgres; consecutive, starting at 1. */
  seq: number;
  /** ISO-8601. */
  at: string;
  payload: P;
}

/** Where committed events go: the PubSub engine (in-process, or Redis between instances). */
export interface EventPublisher {
  publish(topic: string, message: unknown): Promise<void>;
}
