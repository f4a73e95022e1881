import { In, IsNull } from 'typeorm';
import type { AccessPolicy } from '../../authz/access-policy';
import type { Auth } from '../../context/auth';
import type { Config } from '../../config';
import type { UnitOfWork } from '../../db/unit-of-work';
import { Campaign } from '../../entities/campaign.entity';
import { Conversation } from '../../entities/conversation.entity';
import { Role, type StaffStatus } from '../../entities/enums';
import type { Staff } from '../../entities/staff.entity';
import { ForbiddenError } from '../../errors/domain-error';
import type { Logger } from '../../logger';
import type { EventHub } from '../../subscriptions/event-hub';
import { LatestFeed } from '../../subscriptions/latest-feed';
import type { StreamAccessService } from '../session/stream-access.service';

/** One console window of an agent, alive within the TTL. */
export interface WindowActivity {
  sessionId: string;
  /** WINDOW: a WebSocket console; SIGN_IN: an HTTP client using its sign-in as its window. */
  kind: string;
  openedAt: Date;
  /** When the window was last seen (its socket kept alive, or a request). */
  lastSeenAt: Date;
  inboxId: string | null;
  /** The conversation it holds the co-working lock of, else the one it has open (L8). */
  conversationId: string | null;
  /** That conversation (a supervisor sees every conversation of the organization). */
  conversation: Conversation | null;
  /** Since when it holds that lock. */
  lockedSince: Date | null;
}

/** What an agent's consoles are doing now (issue 17, item 3). */
export interface AgentActivity {
  agentId: string;
  windows: WindowActivity[];
  /** The latest moment any window was seen; null without a live window. */
  lastActiveAt: Date | null;
  /** When it was computed. */
  at: Date;
}

/** C11: an agent's state at a glance. */
export interface AgentInfo {
  agent: Staff;
  status: StaffStatus;
  paused: boolean;
  /** The earliest live sign-in; null when signed out everywhere. */
  signedInSince: Date | null;
  /** The campaigns they are a member of, by name. */
  campaigns: Campaign[];
  activeInteractions: Conversation[];
}

interface WindowRow {
  staff_id: string;
  id: string;
  kind: string;
  created_at: Date;
  last_seen_at: Date;
  inbox_id: string | null;
  locked_conversation_id: string | null;
  acquired_at: Date | null;
  open_conversation_id: string | null;
}

/** How often watched agents' activity is read again (one statement for all of them). */
const REFRESH_MS = 1000;

/**
 * Supervisors look at agents (C11, item 3): their info, and their consoles' activity (open
 * windows, the conversation each has open from the co-working locks, last seen). The live form
 * (`agentActivityUpdates`) is computed once a second per instance for every watched agent at
 * once, in one statement, and pushed to that agent's watchers only when it changed: the cost is
 * per instance and per second, not per watcher nor per lock event.
 */
export class AgentActivityService {
  private readonly watchers = new Map<string, Set<LatestFeed<AgentActivity>>>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
    private readonly streams: StreamAccessService,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  async info(auth: Auth, agentId: string): Promise<AgentInfo> {
    const agent = await this.requireWatchable(auth, agentId);
    const manager = this.uow.dataSource.manager;
    const [signIn] = (await manager.query(
      `SELECT min(created_at) AS since FROM client_session
        WHERE staff_id = $1 AND kind = 'SIGN_IN' AND revoked_at IS NULL AND expires_at > now()`,
      [agent.id],
    )) as Array<{ since: Date | null }>;
    const activeInteractions = await manager
      .getRepository(Conversation)
      .createQueryBuilder('c')
      .where(
        "c.organization_id = :org AND c.assignee_id = :agent AND c.status = 'OPEN' AND c.deleted_at IS NULL",
        { org: auth.organizationId, agent: agent.id },
      )
      .orderBy('c.created_at', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .getMany();
    const campaigns = await manager
      .getRepository(Campaign)
      .createQueryBuilder('k')
      .where(
        'k.organization_id = :org AND k.id IN (SELECT m.campaign_id FROM campaign_member m WHERE m.staff_id = :agent)',
        { org: auth.organizationId, agent: agent.id },
      )
      .orderBy('k.name', 'ASC')
      .getMany();
    return {
      agent,
      campaigns,
      status: agent.status,
      paused: agent.pausedAt !== null,
      signedInSince: signIn?.since ?? null,
      activeInteractions,
    };
  }

  async activity(auth: Auth, agentId: string): Promise<AgentActivity> {
    const agent = await this.requireWatchable(auth, agentId);
    return (await this.read([agent.id])).get(agent.id)!;
  }

  /** The agent's activity now, then again each time it changes (checked every second). */
  async subscribe(auth: Auth, agentId: string): Promise<AsyncIterableIterator<AgentActivity>> {
    const { value: agent, access } = await this.streams.check(auth, (now) =>
      this.requireWatchable(now, agentId),
    );
    const feed = new LatestFeed<AgentActivity>(() => this.unwatch(agent.id, feed));
    let set = this.watchers.get(agent.id);
    if (!set) this.watchers.set(agent.id, (set = new Set()));
    set.add(feed);
    const first = (await this.read([agent.id])).get(agent.id)!;
    feed.push(first, fingerprint(first));
    this.timer ??= setInterval(() => void this.refresh(), REFRESH_MS).unref();
    return access ? this.hub.access.guard(feed, access) : feed;
  }

  /** Reads every watched agent's activity in one statement; pushes what changed. */
  private async refresh(): Promise<void> {
    if (this.refreshing || this.watchers.size === 0) return;
    this.refreshing = true;
    try {
      const now = await this.read([...this.watchers.keys()]);
      for (const [agentId, activity] of now) {
        const key = fingerprint(activity);
        // One object for all of the agent's watchers: executed once per cohort.
        for (const feed of this.watchers.get(agentId) ?? []) feed.push(activity, key);
      }
    } catch (error) {
      this.logger.error('reading agent activity', error);
    } finally {
      this.refreshing = false;
    }
  }

  private unwatch(agentId: string, feed: LatestFeed<AgentActivity>): void {
    const set = this.watchers.get(agentId);
    set?.delete(feed);
    if (set?.size) return;
    this.watchers.delete(agentId);
    if (this.watchers.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async read(agentIds: string[]): Promise<Map<string, AgentActivity>> {
    const rows = (await this.uow.dataSource.query(
      `SELECT w.staff_id, w.id, w.kind, w.created_at, w.last_seen_at, w.inbox_id,
              l.conversation_id AS locked_conversation_id, l.acquired_at, m.conversation_id AS open_conversation_id
         FROM client_session w
         LEFT JOIN ticket_lock l ON l.session_id = w.id
         LEFT JOIN window_open_ticket m ON m.session_id = w.id
        WHERE w.staff_id = ANY($1) AND tandem_window_live(w, $2::interval)
        ORDER BY w.staff_id, w.created_at, w.id`,
      [agentIds, `${this.config.lockTtlSeconds} seconds`],
    )) as WindowRow[];
    const at = new Date();
    const result = new Map<string, AgentActivity>(
      agentIds.map((id) => [id, { agentId: id, windows: [], lastActiveAt: null, at }]),
    );
    for (const row of rows) {
      const activity = result.get(row.staff_id)!;
      activity.windows.push({
        sessionId: row.id,
        kind: row.kind,
        openedAt: row.created_at,
        lastSeenAt: row.last_seen_at,
        inboxId: row.inbox_id,
        conversationId: row.locked_conversation_id ?? row.open_conversation_id,
        conversation: null,
        lockedSince: row.acquired_at,
      });
      if (!activity.lastActiveAt || row.last_seen_at > activity.lastActiveAt)
        activity.lastActiveAt = row.last_seen_at;
    }
    const windows = [...result.values()].flatMap((activity) => activity.windows);
    const ids = [...new Set(windows.flatMap((w) => (w.conversationId ? [w.conversationId] : [])))];
    if (ids.length > 0) {
      const found = await this.uow.dataSource.manager.findBy(Conversation, {
        id: In(ids),
        deletedAt: IsNull(),
      });
      const byId = new Map(found.map((conversation) => [conversation.id, conversation]));
      for (const w of windows) w.conversation = byId.get(w.conversationId ?? '') ?? null;
    }
    return result;
  }

  /** SUPERVISOR or ADMIN, and the staff member in their organization (else NOT_FOUND). */
  private async requireWatchable(auth: Auth, agentId: string): Promise<Staff> {
    if (auth.role !== Role.SUPERVISOR && auth.role !== Role.ADMIN)
      throw new ForbiddenError('Only supervisors and admins watch agents');
    return this.access.requireStaff(this.uow.dataSource.manager, auth, agentId);
  }
}

/**
 * What changes, for the "did it change" test: the windows and what they hold, not the moments
 * they were merely seen again (a keep-alive every few seconds is not news).
 */
function fingerprint(activity: AgentActivity): string {
  return JSON.stringify(
    activity.windows.map((w) => [w.sessionId, w.inboxId, w.conversationId, w.lockedSince]),
  );
}
