import type { Auth } from '../../context/auth';
import { preparedQuery } from '../../db/prepared';
import type { UnitOfWork } from '../../db/unit-of-work';
import type { Campaign } from '../../entities/campaign.entity';
import { BadInputError } from '../../errors/domain-error';
import type { EventHub, StreamSnapshot } from '../../subscriptions/event-hub';
import {
  type QueuedInteractionSnapshot,
  type QueueEventPayload,
  QueueEventKind,
} from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Streams } from '../../subscriptions/topics';
import type { StreamAccessService } from '../session/stream-access.service';
import type { CampaignService } from './campaign.service';
import { WAITING } from './queue.service';

/** Where a client left one campaign's queue events: the last seq it received. */
export interface QueueCursor {
  campaignId: string;
  seq: number;
}

/** Campaigns one `queueEvents` subscription may watch (a console's, or a wallboard's). */
export const MAX_WATCHED_CAMPAIGNS = 50;

/**
 * `queueEvents(campaignIds, after)` (C5): the queues of several campaigns as one subscription,
 * on the one event path (each campaign's stream, numbered in the event log). A campaign without
 * a cursor starts with a SNAPSHOT (its waiting interactions, oldest first, and the seq they are
 * current at); one with a cursor replays what the client missed from the log, then goes live,
 * with no gap and no duplicate at the seam. Watching is a read of the campaign (its members,
 * and every role but AGENT, as `campaignQueue`); it is checked again whenever the watcher's
 * access changes, and the subscription ends with FORBIDDEN when one of its campaigns is gone.
 */
export class QueueEventsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly hub: EventHub,
    private readonly streams: StreamAccessService,
  ) {}

  async subscribe(
    auth: Auth,
    campaignIds: readonly string[],
    after: readonly QueueCursor[] = [],
  ): Promise<AsyncIterableIterator<EventEnvelope>> {
    const ids = [...new Set(campaignIds)];
    if (ids.length === 0) throw new BadInputError('campaignIds', 'Name at least one campaign');
    if (ids.length > MAX_WATCHED_CAMPAIGNS)
      throw new BadInputError(
        'campaignIds',
        `At most ${MAX_WATCHED_CAMPAIGNS} campaigns per subscription`,
      );
    const cursors = cursorsOf(ids, after);
    const { value: campaigns, access } = await this.streams.check(auth, (now) =>
      this.requireAll(now, ids),
    );
    return this.hub.subscribeMany(
      campaigns.map((campaign) => {
        const stream = Streams.campaignQueue(campaign.organizationId, campaign.id);
        const seq = cursors.get(campaign.id);
        return {
          stream,
          options:
            seq !== undefined
              ? { after: seq }
              : { snapshot: () => this.snapshot(stream, campaign) },
        };
      }),
      access,
    );
  }

  /** Every campaign, in the order asked; one the caller may not see is NOT_FOUND. */
  private async requireAll(auth: Auth, ids: string[]): Promise<Campaign[]> {
    const manager = this.uow.dataSource.manager;
    const campaigns: Campaign[] = [];
    for (const id of ids) campaigns.push(await this.campaigns.require(manager, auth, id));
    return campaigns;
  }

  /**
   * The waiting interactions and the stream's last seq, read in one statement: a transaction
   * that queued or took one logged its event in its own commit (queue events are numbered in
   * the transaction, never left pending), so the list holds exactly the events up to that seq.
   */
  private async snapshot(stream: string, campaign: Campaign): Promise<StreamSnapshot> {
    const rows = await preparedQuery<{
      seq: string;
      id: string | null;
      customer_id: string;
      waiting_since: Date;
      number: string | null;
    }>(
      this.uow.dataSource,
      `SELECT s.seq, c.id, c.customer_id, c.waiting_since, k.value AS number
         FROM (SELECT coalesce((SELECT last_seq FROM stream_seq WHERE stream = $1), 0) AS seq) s
         LEFT JOIN (conversation c LEFT JOIN contact k ON k.id = c.contact_id)
           ON c.campaign_id = $2 AND ${WAITING}
        ORDER BY c.waiting_since, c.id`,
      [stream, campaign.id],
    );
    const waiting: QueuedInteractionSnapshot[] = rows
      .filter((row) => row.id !== null)
      .map((row) => ({
        conversationId: row.id as string,
        campaignId: campaign.id,
        customerId: row.customer_id,
        number: row.number,
        waitingSince: row.waiting_since.toISOString(),
      }));
    const payload: QueueEventPayload = {
      kind: QueueEventKind.SNAPSHOT,
      campaignId: campaign.id,
      waiting,
    };
    return {
      seq: Number(rows[0]?.seq ?? 0),
      payload: payload as unknown as Record<string, unknown>,
    };
  }
}

/** One cursor per campaign, each naming a campaign of the subscription. */
function cursorsOf(ids: string[], after: readonly QueueCursor[]): Map<string, number> {
  const cursors = new Map<string, number>();
  for (const [index, cursor] of after.entries()) {
    if (!ids.includes(cursor.campaignId))
      throw new BadInputError(
        `after.${index}.campaignId`,
        'A cursor names one of the campaigns in campaignIds',
      );
    if (cursors.has(cursor.campaignId))
      throw new BadInputError(`after.${index}.campaignId`, 'One cursor per campaign');
    if (!Number.isInteger(cursor.seq) || cursor.seq < 0)
      throw new BadInputError(`after.${index}.seq`, 'A seq is a whole number, 0 or more');
    cursors.set(cursor.campaignId, cursor.seq);
  }
  return cursors;
}
