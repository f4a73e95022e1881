import type { EntityManager } from 'typeorm';

/** A campaign's counters for one day (campaign_day_stat), sums in milliseconds. */
export interface DayCounters {
  offered: number;
  answered: number;
  answeredInThreshold: number;
  waitMs: number;
  abandoned: number;
  shortAbandoned: number;
  handled: number;
  handleMs: number;
}

/** tandem_campaign_figures: today's counters and the queue as it stands, read at `at`. */
export interface CampaignFiguresRow extends DayCounters {
  campaignId: string;
  day: string;
  dayStartsAt: Date;
  waiting: number;
  oldestWaitingSince: Date | null;
  at: Date;
}

interface CounterColumns {
  offered: number;
  answered: number;
  answered_in_threshold: number;
  wait_ms: string;
  abandoned: number;
  short_abandoned: number;
  handled: number;
  handle_ms: string;
}

function countersOf(row: CounterColumns): DayCounters {
  return {
    offered: row.offered,
    answered: row.answered,
    answeredInThreshold: row.answered_in_threshold,
    waitMs: Number(row.wait_ms),
    abandoned: row.abandoned,
    shortAbandoned: row.short_abandoned,
    handled: row.handled,
    handleMs: Number(row.handle_ms),
  };
}

/**
 * The monitoring functions (monitor.sql): the only TypeScript that names them. The counters
 * themselves are written by that file's triggers, in the transaction of each change.
 */
export class MonitorStore {
  /** The live figures of these campaigns, in one statement. */
  async figures(manager: EntityManager, campaignIds: string[]): Promise<CampaignFiguresRow[]> {
    const rows = (await manager.query(
      `SELECT f.campaign_id, f.day::text AS day, f.day_starts_at, f.offered, f.answered,
              f.answered_in_threshold, f.wait_ms, f.abandoned, f.short_abandoned, f.handled,
              f.handle_ms, f.waiting, f.oldest_waiting_since, f.at
         FROM tandem_campaign_figures($1::uuid[]) f`,
      [campaignIds],
    )) as Array<
      CounterColumns & {
        campaign_id: string;
        day: string;
        day_starts_at: Date;
        waiting: number;
        oldest_waiting_since: Date | null;
        at: Date;
      }
    >;
    return rows.map((row) => ({
      ...countersOf(row),
      campaignId: row.campaign_id,
      day: row.day,
      dayStartsAt: row.day_starts_at,
      waiting: row.waiting,
      oldestWaitingSince: row.oldest_waiting_since,
      at: row.at,
    }));
  }

  /** The counters kept for a campaign's day (zeros when nothing happened that day). */
  async counters(manager: EntityManager, campaignId: string, day: string): Promise<DayCounters> {
    const [row] = (await manager.query(
      'SELECT * FROM campaign_day_stat WHERE campaign_id = $1 AND day = $2::date',
      [campaignId, day],
    )) as CounterColumns[];
    return row
      ? countersOf(row)
      : {
          offered: 0,
          answered: 0,
          answeredInThreshold: 0,
          waitMs: 0,
          abandoned: 0,
          shortAbandoned: 0,
          handled: 0,
          handleMs: 0,
        };
  }

  /** The same counters counted again from the interactions (tandem_campaign_day_recount). */
  async recount(manager: EntityManager, campaignId: string, day: string): Promise<DayCounters> {
    const [row] = (await manager.query('SELECT * FROM tandem_campaign_day_recount($1, $2::date)', [
      campaignId,
      day,
    ])) as CounterColumns[];
    return countersOf(row!);
  }

  /** The organization's day an instant belongs to (tandem_org_day). */
  async dayOf(manager: EntityManager, organizationId: string, at: Date): Promise<string> {
    const [row] = (await manager.query('SELECT tandem_org_day($1, $2)::text AS day', [
      organizationId,
      at,
    ])) as Array<{ day: string }>;
    return row!.day;
  }
}
