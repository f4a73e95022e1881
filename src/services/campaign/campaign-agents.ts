import type { Auth } from '../../context/auth';
import type { Tx } from '../../db/unit-of-work';
import type { Campaign } from '../../entities/campaign.entity';
import { CampaignMember } from '../../entities/campaign-member.entity';
import { Staff } from '../../entities/staff.entity';
import { DomainError, ErrorCode, ForbiddenError } from '../../errors/domain-error';

export class CapacityReachedError extends DomainError {
  constructor(max: number) {
    super(
      ErrorCode.CAPACITY_REACHED,
      `You hold ${max} active interactions of this campaign, its maximum: finish one first`,
      { max },
    );
  }
}

/**
 * The caller as the agent who will hold an interaction of the campaign (taken from its queue,
 * or started outgoing): a member, active, not paused; their row locked, so that their takes and
 * starts queue behind each other and capacity is counted once at a time.
 */
export async function requireWorkingMember(tx: Tx, auth: Auth, campaign: Campaign): Promise<Staff> {
  if (!auth.staffId) throw new ForbiddenError('Only a member of the campaign takes interactions');
  const member = await tx.manager.existsBy(CampaignMember, {
    campaignId: campaign.id,
    staffId: auth.staffId,
  });
  if (!member) throw new ForbiddenError('Only a member of the campaign takes its interactions');
  const agent = await tx.manager.findOne(Staff, {
    where: { id: auth.staffId },
    lock: { mode: 'pessimistic_write' },
  });
  if (!agent?.active) throw new ForbiddenError('Only an active agent takes interactions');
  // Pause (C12) is supervision's; a paused agent is offered and may take nothing until resumed.
  if (agent.pausedAt) throw new ForbiddenError('You are paused: ask to be resumed first');
  return agent;
}

/** C4: the agent holds fewer open interactions of the campaign than its maximum. */
export async function requireRoom(tx: Tx, campaign: Campaign, agent: Staff): Promise<void> {
  const [{ held }] = (await tx.manager.query(
    `SELECT count(*)::int AS held FROM conversation
      WHERE campaign_id = $1 AND assignee_id = $2 AND status = 'OPEN' AND deleted_at IS NULL`,
    [campaign.id, agent.id],
  )) as Array<{ held: number }>;
  if (held >= campaign.maxInteractionsPerAgent)
    throw new CapacityReachedError(campaign.maxInteractionsPerAgent);
}
