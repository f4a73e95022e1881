import { In, type EntityManager } from 'typeorm';
import { isUUID } from 'class-validator';
import type { Auth } from '../../context/auth';
import { isUniqueViolation } from '../../db/errors';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Campaign } from '../../entities/campaign.entity';
import { CampaignMember } from '../../entities/campaign-member.entity';
import { type CampaignMonitorMessage, Topics } from '../../subscriptions/topics';
import { CannedResponse } from '../../entities/canned-response.entity';
import { Channel, Role } from '../../entities/enums';
import { Inbox } from '../../entities/inbox.entity';
import { InboxMember } from '../../entities/inbox-member.entity';
import { Staff } from '../../entities/staff.entity';
import { BadInputError, ConflictError, NotFoundError } from '../../errors/domain-error';

export interface CannedResponseFields {
  /** An existing response of the campaign to change; without it, a new one. */
  id?: string;
  title: string;
  body: string;
  templateName?: string | null;
  templateLanguage?: string | null;
}

export interface CampaignFields {
  name?: string;
  providerId?: string;
  maxInteractionsPerAgent?: number;
  serviceLevelSeconds?: number;
  abandonAfterSeconds?: number;
  /** Service level counts abandons after the short-abandon time against it (C9). */
  serviceLevelCountsAbandoned?: boolean;
  /** An abandon within this many seconds of waiting is ignored by the service level (C9). */
  shortAbandonSeconds?: number;
  enabled?: boolean;
  /** The complete list, in order: responses left out are removed. */
  cannedResponses?: CannedResponseFields[];
}

export interface NewCampaignFields extends CampaignFields {
  name: string;
  providerId: string;
  maxInteractionsPerAgent: number;
  serviceLevelSeconds: number;
  abandonAfterSeconds: number;
  memberIds?: string[];
}

/** The short-abandon threshold Ivanti Voice defaults to (Mitel's is 6 s; Talkdesk leaves it to the admin). */
export const DEFAULT_SHORT_ABANDON_SECONDS = 5;

/** The campaign's own inbox is named after it (inbox names are unique in an organization). */
export function campaignInboxName(campaignName: string): string {
  return `Campaign: ${campaignName}`;
}

/**
 * Campaigns (C2, C17). ADMIN writes. Reads: ADMIN, SUPERVISOR, DISPATCHER and integration keys
 * see every campaign of the organization; an AGENT sees the campaigns they are a member of
 * (another is NOT_FOUND), as with inboxes. Each campaign has an inbox of its own (channel
 * WHATSAPP) whose members are the campaign's, so its interactions are conversations there.
 */
export class CampaignService {
  constructor(private readonly uow: UnitOfWork) {}

  async create(auth: Auth, fields: NewCampaignFields): Promise<Campaign> {
    return this.uow.run(async (tx) => {
      const name = requireName(fields.name);
      const enabled = fields.enabled ?? true;
      await this.lockProvider(tx.manager, auth, fields.providerId);
      const inbox = await this.insertInbox(tx, auth, name, fields.maxInteractionsPerAgent);
      const campaign = tx.manager.create(Campaign, {
        organizationId: auth.organizationId,
        name,
        providerId: fields.providerId,
        inboxId: inbox.id,
        maxInteractionsPerAgent: fields.maxInteractionsPerAgent,
        serviceLevelSeconds: fields.serviceLevelSeconds,
        abandonAfterSeconds: fields.abandonAfterSeconds,
        serviceLevelCountsAbandoned: fields.serviceLevelCountsAbandoned ?? true,
        shortAbandonSeconds: fields.shortAbandonSeconds ?? DEFAULT_SHORT_ABANDON_SECONDS,
        enabled,
      });
      await this.save(tx, campaign);
      await this.replaceMembers(tx, auth, campaign, fields.memberIds ?? [], 'memberIds');
      await this.replaceCannedResponses(tx, campaign, fields.cannedResponses ?? []);
      return tx.manager.findOneByOrFail(Campaign, { id: campaign.id });
    });
  }

  async update(auth: Auth, campaignId: string, fields: CampaignFields): Promise<Campaign> {
    return this.uow.run(async (tx) => {
      const campaign = await this.requireForWrite(tx.manager, auth, campaignId);
      if (fields.name !== undefined && fields.name.trim() !== campaign.name) {
        campaign.name = requireName(fields.name);
        await this.renameInbox(tx, campaign);
      }
      if (fields.providerId !== undefined) campaign.providerId = fields.providerId;
      if (fields.maxInteractionsPerAgent !== undefined) {
        campaign.maxInteractionsPerAgent = fields.maxInteractionsPerAgent;
        await tx.manager.update(
          Inbox,
          { id: campaign.inboxId },
          { agentCapacity: fields.maxInteractionsPerAgent },
        );
      }
      if (fields.serviceLevelSeconds !== undefined)
        campaign.serviceLevelSeconds = fields.serviceLevelSeconds;
      if (fields.abandonAfterSeconds !== undefined)
        campaign.abandonAfterSeconds = fields.abandonAfterSeconds;
      // A change of the service-level settings counts the events from now on; those counted keep
      // how they were counted (the day's counters are never recomputed).
      if (fields.serviceLevelCountsAbandoned !== undefined)
        campaign.serviceLevelCountsAbandoned = fields.serviceLevelCountsAbandoned;
      if (fields.shortAbandonSeconds !== undefined)
        campaign.shortAbandonSeconds = fields.shortAbandonSeconds;
      if (fields.enabled !== undefined) campaign.enabled = fields.enabled;
      if (campaign.enabled) {
        if (!campaign.providerId)
          throw new BadInputError('providerId', 'An enabled campaign needs a provider');
        // Share-locked so that a concurrent deleteProvider sees this campaign enabled, or runs first.
        if (fields.providerId !== undefined || fields.enabled)
          await this.lockProvider(tx.manager, auth, campaign.providerId);
      } else if (fields.providerId !== undefined) {
        await this.lockProvider(tx.manager, auth, campaign.providerId as string);
      }
      await this.save(tx, campaign);
      this.monitorChanged(tx, campaign);
      if (fields.cannedResponses !== undefined)
        await this.replaceCannedResponses(tx, campaign, fields.cannedResponses);
      return tx.manager.findOneByOrFail(Campaign, { id: campaign.id });
    });
  }

  /** Replaces the members with exactly these active agents (C17). */
  async setMembers(auth: Auth, campaignId: string, staffIds: string[]): Promise<Campaign> {
    return this.uow.run(async (tx) => {
      const campaign = await this.requireForWrite(tx.manager, auth, campaignId);
      await this.replaceMembers(tx, auth, campaign, staffIds, 'staffIds');
      this.monitorChanged(tx, campaign);
      return campaign;
    });
  }

  get(auth: Auth, id: string): Promise<Campaign> {
    return this.require(this.uow.dataSource.manager, auth, id);
  }

  list(auth: Auth, page: PageRequest): Promise<Page<Campaign>> {
    const query = this.uow.dataSource
      .getRepository(Campaign)
      .createQueryBuilder('campaign')
      .where('campaign.organization_id = :org', { org: auth.organizationId });
    if (!seesAllCampaigns(auth)) {
      query.andWhere(
        'campaign.id IN (SELECT m.campaign_id FROM campaign_member m WHERE m.staff_id = :viewerId)',
        { viewerId: auth.staffId },
      );
    }
    return paginate(query, page, { property: 'name', direction: 'ASC' });
  }

  /** The campaign, if the caller may see it; else NOT_FOUND (missing and hidden look alike). */
  async require(manager: EntityManager, auth: Auth, id: string): Promise<Campaign> {
    const campaign = isUUID(id)
      ? await manager.findOneBy(Campaign, { id, organizationId: auth.organizationId })
      : null;
    if (!campaign || !(await this.sees(manager, auth, campaign.id)))
      throw new NotFoundError('Campaign', id);
    return campaign;
  }

  /** C9: the campaign's live monitors compute again (its settings or members changed). */
  private monitorChanged(tx: Tx, campaign: Campaign): void {
    const changed: CampaignMonitorMessage = {
      organizationId: campaign.organizationId,
      campaignIds: [campaign.id],
    };
    tx.broadcast(Topics.campaignMonitor, changed);
  }

  private async sees(manager: EntityManager, auth: Auth, campaignId: string): Promise<boolean> {
    if (seesAllCampaigns(auth)) return true;
    if (!auth.staffId) return false;
    return manager.existsBy(CampaignMember, { campaignId, staffId: auth.staffId });
  }

  /** Row-locked: concurrent writes of one campaign (its members above all) take turns. */
  private async requireForWrite(manager: EntityManager, auth: Auth, id: string): Promise<Campaign> {
    const campaign = isUUID(id)
      ? await manager.findOne(Campaign, {
          where: { id, organizationId: auth.organizationId },
          lock: { mode: 'pessimistic_write' },
        })
      : null;
    if (!campaign) throw new NotFoundError('Campaign', id);
    return campaign;
  }

  private async lockProvider(manager: EntityManager, auth: Auth, providerId: string) {
    const rows: unknown[] = isUUID(providerId)
      ? await manager.query(
          'SELECT 1 FROM provider WHERE id = $1 AND organization_id = $2 FOR SHARE',
          [providerId, auth.organizationId],
        )
      : [];
    if (rows.length === 0) throw new NotFoundError('Provider', providerId);
  }

  private async insertInbox(tx: Tx, auth: Auth, name: string, capacity: number): Promise<Inbox> {
    const inbox = tx.manager.create(Inbox, {
      organizationId: auth.organizationId,
      name: campaignInboxName(name),
      channels: [Channel.WHATSAPP],
      isDefaultVoice: false,
      agentCapacity: capacity,
    });
    try {
      return await tx.manager.save(inbox);
    } catch (error) {
      throw inboxNameConflict(error, name);
    }
  }

  private async renameInbox(tx: Tx, campaign: Campaign): Promise<void> {
    try {
      await tx.manager.update(
        Inbox,
        { id: campaign.inboxId },
        { name: campaignInboxName(campaign.name) },
      );
    } catch (error) {
      throw inboxNameConflict(error, campaign.name);
    }
  }

  private async replaceMembers(
    tx: Tx,
    auth: Auth,
    campaign: Campaign,
    staffIds: string[],
    /** The input field that named them, for the error. */
    field: string,
  ): Promise<void> {
    const wanted = [...new Set(staffIds)];
    const found = wanted.length
      ? await tx.manager.findBy(Staff, { id: In(wanted), organizationId: auth.organizationId })
      : [];
    const missing = wanted.find((id) => !found.some((staff) => staff.id === id));
    if (missing) throw new NotFoundError('Staff', missing);
    // C17: members are active agents of the organization.
    const unfit = found.find((staff) => staff.role !== Role.AGENT || !staff.active);
    if (unfit) {
      const why = unfit.active ? `is ${unfit.role}, not an AGENT` : 'is deactivated';
      throw new BadInputError(
        field,
        `${unfit.name} ${why}: members of a campaign are active agents`,
        { staffId: unfit.id },
      );
    }
    // Only who leaves and who joins are written: members who stay keep their streams (a change
    // of inbox membership raises the person's access generation).
    const current = (await tx.manager.findBy(CampaignMember, { campaignId: campaign.id })).map(
      (member) => member.staffId,
    );
    const leaving = current.filter((id) => !wanted.includes(id));
    const joining = wanted.filter((id) => !current.includes(id));
    if (leaving.length) {
      await tx.manager.delete(CampaignMember, { campaignId: campaign.id, staffId: In(leaving) });
      await tx.manager.delete(InboxMember, { inboxId: campaign.inboxId, staffId: In(leaving) });
    }
    // Who left or joined sees other streams now (issue 17, item 8): theirs check again.
    const changed = [...leaving, ...joining];
    if (changed.length) tx.broadcast(Topics.accessChanged, { staffIds: changed });
    if (!joining.length) return;
    const rows = joining.map((staffId) => ({ staffId, organizationId: auth.organizationId }));
    await tx.manager.insert(
      CampaignMember,
      rows.map((row) => ({ ...row, campaignId: campaign.id })),
    );
    // The campaign's inbox has the same members: conversation and lock streams admit them.
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(InboxMember)
      .values(rows.map((row) => ({ ...row, inboxId: campaign.inboxId })))
      .orIgnore()
      .execute();
  }

  private async replaceCannedResponses(
    tx: Tx,
    campaign: Campaign,
    responses: CannedResponseFields[],
  ): Promise<void> {
    const existing = await tx.manager.findBy(CannedResponse, { campaignId: campaign.id });
    const kept = new Set<string>();
    for (const [position, response] of responses.entries()) {
      const fields = cannedFields(response, position);
      if (response.id === undefined) {
        await tx.manager.insert(CannedResponse, {
          ...fields,
          organizationId: campaign.organizationId,
          campaignId: campaign.id,
        });
        continue;
      }
      if (!existing.some((row) => row.id === response.id) || kept.has(response.id))
        throw new NotFoundError('CannedResponse', response.id);
      kept.add(response.id);
      await tx.manager.update(CannedResponse, { id: response.id }, fields);
    }
    const removed = existing.filter((row) => !kept.has(row.id)).map((row) => row.id);
    if (removed.length) await tx.manager.delete(CannedResponse, { id: In(removed) });
  }

  private async save(tx: Tx, campaign: Campaign): Promise<void> {
    try {
      await tx.manager.save(campaign);
    } catch (error) {
      if (isUniqueViolation(error, 'uq_campaign_organization_id_name'))
        throw new ConflictError(`A campaign named "${campaign.name}" already exists`, {
          field: 'name',
        });
      if (isUniqueViolation(error, 'uq_campaign_enabled_provider_id')) {
        const other = await this.enabledCampaignOf(campaign.providerId as string);
        throw new ConflictError(
          `The provider's number already serves the enabled campaign "${other?.name ?? '?'}": a number serves one enabled campaign`,
          { field: 'providerId', campaignId: other?.id, campaignName: other?.name },
        );
      }
      throw error;
    }
  }

  /** Read outside the failed transaction, which can run no more statements. */
  private enabledCampaignOf(providerId: string): Promise<Campaign | null> {
    return this.uow.dataSource.manager.findOneBy(Campaign, { providerId, enabled: true });
  }
}

/** Every role but AGENT sees all campaigns; an agent those they belong to. */
function seesAllCampaigns(auth: Auth): boolean {
  return auth.role !== Role.AGENT;
}

function requireName(raw: string): string {
  const name = raw.trim();
  if (!name) throw new BadInputError('name', 'A campaign needs a name');
  return name;
}

function inboxNameConflict(error: unknown, name: string): unknown {
  if (!isUniqueViolation(error, 'uq_inbox_organization_id_name')) return error;
  return new ConflictError(
    `An inbox named "${campaignInboxName(name)}" already exists: the campaign's own inbox takes that name`,
    { field: 'name' },
  );
}

function cannedFields(response: CannedResponseFields, position: number) {
  const title = response.title.trim();
  const body = response.body.trim();
  const templateName = response.templateName?.trim() || null;
  const templateLanguage = response.templateLanguage?.trim() || null;
  const field = `cannedResponses.${position}`;
  if (!title) throw new BadInputError(`${field}.title`, 'A canned response needs a title');
  if (!body) throw new BadInputError(`${field}.body`, 'A canned response needs a body');
  if ((templateName === null) !== (templateLanguage === null)) {
    throw new BadInputError(
      `${field}.${templateName === null ? 'templateName' : 'templateLanguage'}`,
      'A template needs both its name and its language',
    );
  }
  return { title, body, templateName, templateLanguage, position };
}
