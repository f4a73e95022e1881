import { In, IsNull, Not } from 'typeorm';
import type { Auth } from '../../context/auth';
import type { UnitOfWork } from '../../db/unit-of-work';
import { Campaign } from '../../entities/campaign.entity';
import { CampaignMember } from '../../entities/campaign-member.entity';
import { Conversation } from '../../entities/conversation.entity';
import { ConversationStatus, Role, type StaffStatus } from '../../entities/enums';
import type { Staff } from '../../entities/staff.entity';
import { ForbiddenError } from '../../errors/domain-error';
import type { Logger } from '../../logger';
import type { EventHub } from '../../subscriptions/event-hub';
import { LatestFeed } from '../../subscriptions/latest-feed';
import type { ConversationEventPayload } from '../../subscriptions/payloads';
import { ConversationEventKind } from '../../subscriptions/payloads';
import {
  type AccessChangedMessage,
  type CampaignMonitorMessage,
  Streams,
  Topics,
} from '../../subscriptions/topics';
import type { CampaignService } from '../campaign/campaign.service';
import type { StreamAccessService } from '../session/stream-access.service';
import type { CampaignFiguresRow, MonitorStore } from './monitor.store';

/** A member of a campaign as its monitor shows them. */
export interface MemberStatus {
  agent: Staff;
  status: StaffStatus;
  paused: boolean;
  pausedAt: Date | null;
  pauseReason: string | null;
  /** Their open interactions of this campaign, longest waiting first. */
  activeInteractions: Conversation[];
}

/** C9: a campaign's figures at one moment. */
export interface CampaignMonitor {
  campaign: Campaign;
  at: Date;
  day: string;
  dayStartsAt: Date;
  members: MemberStatus[];
  waitingCount: number;
  oldestWaitingSince: Date | null;
  longestWaitSeconds: number;
  offered: number;
  answered: number;
  answeredWithinThreshold: number;
  abandoned: number;
  shortAbandoned: number;
  handled: number;
  serviceLevel: number | null;
  averageWaitSeconds: number | null;
  averageHandleSeconds: number | null;
}

/** At most one computation per campaign per this many milliseconds (per instance). */
const MIN_INTERVAL_MS = 1000;
/** Every watched campaign is computed again this often, changed or not (a lost signal, a new day). */
const SWEEP_MS = 5000;

/** Conversation events that change no figure (messages come in bursts). */
const IGNORED_KINDS = new Set<string>([
  ConversationEventKind.MESSAGE,
  ConversationEventKind.DELIVERY,
]);

/**
 * C9 service level: interactions taken within the threshold over those taken, plus, when the
 * campaign counts abandons, those abandoned after the short-abandon time; a percentage, null
 * before the first.
 */
export function serviceLevelOf(
  campaign: Pick<Campaign, 'serviceLevelCountsAbandoned'>,
  figures: Pick<
    CampaignFiguresRow,
    'answered' | 'answeredInThreshold' | 'abandoned' | 'shortAbandoned'
  >,
): number | null {
  const counted =
    figures.answered +
    (campaign.serviceLevelCountsAbandoned ? figures.abandoned - figures.shortAbandoned : 0);
  return counted === 0 ? null : (100 * figures.answeredInThreshold) / counted;
}

/** The watchers of one campaign on this instance, and when its figures were last computed. */
class CampaignWatch {
  readonly feeds = new Set<LatestFeed<CampaignMonitor>>();
  /** The campaign's streams, read only as "something changed" signals. */
  readonly signals: AsyncIterableIterator<unknown>[] = [];
  memberIds = new Set<string>();
  last: CampaignMonitor | undefined;
  lastKey = '';
  lastRun = 0;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  /** A signal came while computing: compute again once it is done. */
  dirty = false;

  constructor(
    readonly campaignId: string,
    readonly organizationId: string,
  ) {}
}

/**
 * Campaign monitoring (C9). The figures come from the day's counters that monitor.sql keeps in
 * the transaction of each change, the queue as it stands (its index), and the members: never a
 * scan of the day's interactions. The live form is computed once per campaign per instance for
 * all of its watchers (one object pushed to every one of them, so graphql-ws executes it once per
 * cohort), when something changed (the campaign's queue and conversation streams, a member's
 * status or pause, its settings), at most once a second, and every 5 s in any case.
 */
export class CampaignMonitorService {
  private readonly watches = new Map<string, CampaignWatch>();
  private listeners: Promise<number[]> | undefined;
  private sweep: NodeJS.Timeout | undefined;
  /** Computations run (tests and the benchmark: independent of the number of watchers). */
  computations = 0;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly store: MonitorStore,
    private readonly hub: EventHub,
    private readonly streams: StreamAccessService,
    private readonly logger: Logger,
  ) {}

  async monitor(auth: Auth, campaignId: string): Promise<CampaignMonitor> {
    const campaign = await this.requireWatchable(auth, campaignId);
    return (await this.compute([campaign.id]))[0]!;
  }

  /** The figures now, then again on each change (at most once a second). */
  async subscribe(auth: Auth, campaignId: string): Promise<AsyncIterableIterator<CampaignMonitor>> {
    const { value: campaign, access } = await this.streams.check(auth, (now) =>
      this.requireWatchable(now, campaignId),
    );
    await this.listen();
    const watch = this.watch(campaign);
    const feed: LatestFeed<CampaignMonitor> = new LatestFeed(() => this.unwatch(watch, feed));
    watch.feeds.add(feed);
    if (watch.last && Date.now() - watch.lastRun < MIN_INTERVAL_MS)
      feed.push(watch.last, watch.lastKey);
    else await this.run(watch);
    return access ? this.hub.access.guard(feed, access) : feed;
  }

  /** Watched campaigns on this instance (tests and metrics). */
  get watched(): number {
    return this.watches.size;
  }

  private watch(campaign: Campaign): CampaignWatch {
    const existing = this.watches.get(campaign.id);
    if (existing) return existing;
    const watch = new CampaignWatch(campaign.id, campaign.organizationId);
    this.watches.set(campaign.id, watch);
    // Arrivals, takes, abandons, requeues; and ends (closed, archived) of its interactions.
    this.follow(watch, Streams.campaignQueue(campaign.organizationId, campaign.id), () => true);
    this.follow(
      watch,
      Streams.inboxConversations(campaign.organizationId, campaign.inboxId),
      (payload) => !IGNORED_KINDS.has((payload as ConversationEventPayload).kind),
    );
    this.sweep ??= setInterval(() => {
      for (const each of this.watches.values()) this.signal(each);
    }, SWEEP_MS).unref();
    return watch;
  }

  private follow(watch: CampaignWatch, stream: string, counts: (payload: unknown) => boolean) {
    const events = this.hub.subscribe(stream);
    watch.signals.push(events);
    void (async () => {
      for await (const event of events) {
        if (counts((event as { payload: unknown }).payload)) this.signal(watch);
      }
    })().catch((error: unknown) => this.logger.error(`monitor signals of ${stream}`, error));
  }

  private unwatch(watch: CampaignWatch, feed: LatestFeed<CampaignMonitor>): void {
    watch.feeds.delete(feed);
    if (watch.feeds.size > 0) return;
    this.watches.delete(watch.campaignId);
    clearTimeout(watch.timer);
    for (const events of watch.signals) void events.return?.();
    if (this.watches.size === 0) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  /** Signals that are not on the campaign's streams: members' status and pause, settings, the day. */
  private listen(): Promise<number[]> {
    this.listeners ??= Promise.all([
      this.hub.listen(Topics.campaignMonitor, (message) => {
        const { organizationId, staffIds, campaignIds, all } = message as CampaignMonitorMessage;
        for (const watch of this.watches.values()) {
          if (watch.organizationId !== organizationId) continue;
          if (
            all ||
            campaignIds?.includes(watch.campaignId) ||
            staffIds?.some((id) => watch.memberIds.has(id))
          )
            this.signal(watch);
        }
      }),
      // A member deactivated (or given another role) shows as such.
      this.hub.listen(Topics.accessChanged, (message) => {
        const { staffIds } = message as AccessChangedMessage;
        for (const watch of this.watches.values())
          if (staffIds.some((id) => watch.memberIds.has(id))) this.signal(watch);
      }),
    ]);
    return this.listeners;
  }

  /** Something changed: compute now, or a second after the last computation. */
  private signal(watch: CampaignWatch): void {
    if (this.watches.get(watch.campaignId) !== watch) return;
    if (watch.running) {
      watch.dirty = true;
      return;
    }
    if (watch.timer) return;
    const wait = Math.max(0, watch.lastRun + MIN_INTERVAL_MS - Date.now());
    watch.timer = setTimeout(() => {
      watch.timer = undefined;
      void this.run(watch);
    }, wait);
  }

  private run(watch: CampaignWatch): Promise<void> {
    watch.running ??= (async () => {
      try {
        const [figures] = await this.compute([watch.campaignId]);
        if (!figures) return;
        watch.memberIds = new Set(figures.members.map((member) => member.agent.id));
        const key = fingerprint(figures);
        watch.last = figures;
        watch.lastKey = key;
        // One object for every watcher: executed once per cohort.
        for (const feed of watch.feeds) feed.push(figures, key);
      } catch (error) {
        this.logger.error('computing campaign figures', error);
      } finally {
        // From the end of one computation: pushes are a second apart at least.
        watch.lastRun = Date.now();
        watch.running = undefined;
        if (watch.dirty) {
          watch.dirty = false;
          this.signal(watch);
        }
      }
    })();
    return watch.running;
  }

  /** The figures of these campaigns: four statements, whatever the number of campaigns. */
  private async compute(campaignIds: string[]): Promise<CampaignMonitor[]> {
    this.computations += 1;
    const manager = this.uow.dataSource.manager;
    const [campaigns, rows, members, active] = await Promise.all([
      manager.findBy(Campaign, { id: In(campaignIds) }),
      this.store.figures(manager, campaignIds),
      manager.find(CampaignMember, {
        where: { campaignId: In(campaignIds) },
        relations: { staff: true },
      }),
      manager.find(Conversation, {
        where: {
          campaignId: In(campaignIds),
          status: ConversationStatus.OPEN,
          assigneeId: Not(IsNull()),
          deletedAt: IsNull(),
        },
        order: { waitingSince: 'ASC', id: 'ASC' },
      }),
    ]);
    const byId = new Map(campaigns.map((campaign) => [campaign.id, campaign]));
    return rows.flatMap((row) => {
      const campaign = byId.get(row.campaignId);
      if (!campaign) return [];
      const held = active.filter((c) => c.campaignId === campaign.id);
      const team = members
        .filter((member) => member.campaignId === campaign.id && member.staff)
        .map((member) => member.staff as Staff)
        .sort((x, y) => x.name.localeCompare(y.name) || x.id.localeCompare(y.id));
      return [
        {
          campaign,
          at: row.at,
          day: row.day,
          dayStartsAt: row.dayStartsAt,
          members: team.map((agent) => ({
            agent,
            status: agent.status,
            paused: agent.pausedAt !== null,
            pausedAt: agent.pausedAt,
            pauseReason: agent.pauseReason,
            activeInteractions: held.filter((c) => c.assigneeId === agent.id),
          })),
          waitingCount: row.waiting,
          oldestWaitingSince: row.oldestWaitingSince,
          longestWaitSeconds: row.oldestWaitingSince
            ? Math.max(0, Math.floor((row.at.getTime() - row.oldestWaitingSince.getTime()) / 1000))
            : 0,
          offered: row.offered,
          answered: row.answered,
          answeredWithinThreshold: row.answeredInThreshold,
          abandoned: row.abandoned,
          shortAbandoned: row.shortAbandoned,
          handled: row.handled,
          serviceLevel: serviceLevelOf(campaign, row),
          averageWaitSeconds: row.answered ? row.waitMs / row.answered / 1000 : null,
          averageHandleSeconds: row.handled ? row.handleMs / row.handled / 1000 : null,
        },
      ];
    });
  }

  /** SUPERVISOR or ADMIN, and a campaign of their organization (else NOT_FOUND). */
  private async requireWatchable(auth: Auth, campaignId: string): Promise<Campaign> {
    if (auth.role !== Role.SUPERVISOR && auth.role !== Role.ADMIN)
      throw new ForbiddenError('Only supervisors and admins monitor campaigns');
    return this.campaigns.require(this.uow.dataSource.manager, auth, campaignId);
  }
}

/**
 * What is news: every figure but the moment it was read (and the longest wait, which grows by
 * itself: clients count it from oldestWaitingSince).
 */
function fingerprint(figures: CampaignMonitor): string {
  return JSON.stringify([
    figures.day,
    figures.campaign.updatedAt,
    figures.members.map((m) => [
      m.agent.id,
      m.agent.name,
      m.status,
      m.pausedAt,
      m.pauseReason,
      m.activeInteractions.map((c) => c.id),
    ]),
    figures.waitingCount,
    figures.oldestWaitingSince,
    figures.offered,
    figures.answered,
    figures.answeredWithinThreshold,
    figures.abandoned,
    figures.shortAbandoned,
    figures.handled,
    figures.averageWaitSeconds,
    figures.averageHandleSeconds,
  ]);
}
