import { IsNull } from 'typeorm';
import { type Auth, actorOf } from '../../context/auth';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import type { Campaign } from '../../entities/campaign.entity';
import { CannedResponse } from '../../entities/canned-response.entity';
import type { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';
import { ConversationStatus, Direction, RoutingReason } from '../../entities/enums';
import { Provider } from '../../entities/provider.entity';
import { ConflictError, NotFoundError } from '../../errors/domain-error';
import { ConversationEventKind } from '../../subscriptions/payloads';
import { emitConversationEvent } from '../conversation/conversation-events';
import type { MessageService } from '../conversation/message.service';
import type { OutboxService } from '../provider/outbox.service';
import type { Assignments } from '../routing/assignments';
import { requireRoom, requireWorkingMember } from './campaign-agents';
import type { CampaignService } from './campaign.service';
import { type InboundService, interactionWith } from './inbound.service';

export interface OutgoingInteraction {
  campaignId: string;
  /** The customer's number; normalized to E.164. */
  to: string;
  /** Free text (only while the customer's 24-hour window is open), or a canned response. */
  body?: string | null;
  cannedResponseId?: string | null;
  subject?: string | null;
}

/**
 * C16: a member of a campaign starts an interaction with a number. It is the agent's at once
 * (counted toward the campaign's maximum: CAPACITY_REACHED), never queued, and its first
 * message goes out through the outbox like any reply. No window is open with a customer who has
 * not written, so it starts with a template; free text is refused (REPLY_WINDOW_CLOSED) unless
 * the customer wrote to this number within 24 hours (an earlier interaction's window), which the
 * new interaction then keeps. An unknown number becomes a customer with that contact, as an
 * inbound message does, under the same per-number lock.
 */
export class OutgoingService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly inbound: InboundService,
    private readonly assignments: Assignments,
    private readonly messages: MessageService,
    private readonly outbox: OutboxService,
  ) {}

  async start(auth: Auth, input: OutgoingInteraction): Promise<Conversation> {
    return this.uow.run(async (tx) => {
      const campaign = await this.campaigns.require(tx.manager, auth, input.campaignId);
      if (!campaign.enabled || !campaign.providerId)
        throw new ConflictError(
          `Campaign "${campaign.name}" is disabled: it starts no interactions`,
          { field: 'campaignId' },
        );
      // Another campaign's response (or another organization's) is missing, whoever asks.
      if (
        input.cannedResponseId &&
        !(await tx.manager.existsBy(CannedResponse, {
          id: input.cannedResponseId,
          campaignId: campaign.id,
        }))
      )
        throw new NotFoundError('CannedResponse', input.cannedResponseId);
      const agent = await requireWorkingMember(tx, auth, campaign);
      await requireRoom(tx, campaign, agent);
      const provider = await tx.manager.findOneByOrFail(Provider, { id: campaign.providerId });
      const contact = await this.inbound.lockedContact(tx, provider, input.to, 'to');
      await this.requireNoOpenInteraction(tx, campaign, contact);
      const conversation = await tx.manager.save(
        tx.manager.create(Conversation, {
          ...interactionWith(campaign, contact),
          status: ConversationStatus.OPEN,
          direction: Direction.OUTGOING,
          subject: input.subject?.trim() || null,
          routingReason: null,
          waitingSince: null,
          replyWindowClosesAt: await this.openWindowOf(tx, provider, contact),
        }),
      );
      const actor = actorOf(auth);
      emitConversationEvent(tx, conversation, ConversationEventKind.CREATED, actor);
      await this.assignments.change(tx, conversation, {
        assigneeId: agent.id,
        reason: RoutingReason.OUTGOING,
        actor,
        note: `${actor.name} started it in campaign "${campaign.name}"`,
      });
      // Checked on the new interaction: text without an open window is refused here, and the
      // whole start with it (nothing is kept of a refused call).
      const first = await this.outbox.prepare(tx, conversation, input);
      await this.messages.append(tx, auth, conversation, first.body, 'staff', first.fields);
      await this.outbox.enqueue(tx, conversation.id);
      return conversation;
    });
  }

  /** One open interaction per number and campaign (C3): the agent is told which one it is. */
  private async requireNoOpenInteraction(
    tx: Tx,
    campaign: Campaign,
    contact: Contact,
  ): Promise<void> {
    const open = await tx.manager.findOne(Conversation, {
      where: {
        campaignId: campaign.id,
        contactId: contact.id,
        status: ConversationStatus.OPEN,
        deletedAt: IsNull(),
      },
      select: { id: true, assigneeId: true },
    });
    if (!open) return;
    throw new ConflictError(
      open.assigneeId
        ? 'This number already has an open interaction in this campaign'
        : "This number's interaction is waiting in the campaign's queue: take it instead",
      { conversationId: open.id, assigneeId: open.assigneeId },
    );
  }

  /**
   * The customer's 24-hour window with this number, when open: WhatsApp's window is per business
   * number and customer, so an earlier interaction's counts.
   */
  private async openWindowOf(tx: Tx, provider: Provider, contact: Contact): Promise<Date | null> {
    const [row] = (await tx.manager.query(
      `SELECT max(c.reply_window_closes_at) AS closes_at
         FROM conversation c JOIN campaign k ON k.id = c.campaign_id
        WHERE c.contact_id = $1 AND k.provider_id = $2`,
      [contact.id, provider.id],
    )) as Array<{ closes_at: Date | null }>;
    const closesAt = row?.closes_at ?? null;
    return closesAt && closesAt.getTime() > Date.now() ? closesAt : null;
  }
}
