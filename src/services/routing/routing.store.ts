import type { DataSource, EntityManager } from 'typeorm';
import type { ActorRef } from '../../context/auth';
import type { EventEnvelope } from '../../db/events';
import { preparedQuery } from '../../db/prepared';

/** What a drain statement did: how many it routed, and the events it logged (numbered). */
export interface QueueRouting {
  routed: number;
  events: EventEnvelope[];
}

/**
 * The routing functions (routing.sql): the only TypeScript that names them. Claims are decided in
 * Postgres (an agent's row locked, capacity counted under the lock), never read-then-write here.
 */
export class RoutingStore {
  constructor(private readonly dataSource: DataSource) {}

  /** C12: whether a supervisor has paused the staff member (tandem_is_paused). */
  async isPaused(manager: EntityManager, staffId: string): Promise<boolean> {
    const [row] = (await manager.query('SELECT tandem_is_paused($1) AS paused', [
      staffId,
    ])) as Array<{
      paused: boolean;
    }>;
    return row?.paused === true;
  }

  /** R5, R8: whether the staff member is available for work now (tandem_available_agents). */
  async isAvailable(manager: EntityManager, staffId: string, ttl: string): Promise<boolean> {
    const [row] = (await manager.query(
      'SELECT EXISTS (SELECT 1 FROM tandem_available_agents($2) a WHERE a.id = $1) AS available',
      [staffId, ttl],
    )) as Array<{ available: boolean }>;
    return row?.available === true;
  }

  /**
   * R8, in the caller's transaction: the next available agent of the inbox under its capacity,
   * their row locked until the transaction ends; null when none.
   */
  async claimAgent(
    manager: EntityManager,
    organizationId: string,
    inboxId: string,
    ttl: string,
  ): Promise<string | null> {
    const [row] = (await manager.query('SELECT tandem_claim_agent($1, $2, $3) AS agent', [
      organizationId,
      inboxId,
      ttl,
    ])) as Array<{ agent: string | null }>;
    return row?.agent ?? null;
  }

  /** Open conversations the agent holds in the inbox (what its capacity limits). */
  async openCount(
    manager: EntityManager,
    staffId: string,
    inboxId: string,
  ): Promise<{ open: number; capacity: number } | undefined> {
    const [row] = (await manager.query(
      'SELECT tandem_open_count($1, $2)::int AS open, agent_capacity AS capacity FROM inbox WHERE id = $2',
      [staffId, inboxId],
    )) as Array<{ open: number; capacity: number }>;
    return row;
  }

  /**
   * R9: up to `max` routings from the inbox's queue in one statement that commits on its own
   * (the claims, the heads, the history and the events, appended numbered at its end).
   */
  async routeQueue(
    organizationId: string,
    inboxId: string,
    ttl: string,
    actor: ActorRef,
    note: string,
    max: number,
  ): Promise<QueueRouting> {
    const [row] = await preparedQuery<{ result: Partial<QueueRouting> }>(
      this.dataSource,
      'SELECT tandem_route_queue($1, $2, $3, $4, $5, $6) AS result',
      [organizationId, inboxId, ttl, actor, note, max],
    );
    return { routed: row?.result.routed ?? 0, events: row?.result.events ?? [] };
  }
}
