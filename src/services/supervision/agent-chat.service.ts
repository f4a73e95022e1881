import type { AccessPolicy } from '../../authz/access-policy';
import { actorOf, type Auth } from '../../context/auth';
import type { UnitOfWork } from '../../db/unit-of-work';
import { AgentChatMessage } from '../../entities/agent-chat-message.entity';
import { AuditEventKind } from '../../entities/audit-event.entity';
import { Role } from '../../entities/enums';
import { BadInputError, ConflictError, ForbiddenError } from '../../errors/domain-error';
import type { EventHub } from '../../subscriptions/event-hub';
import { AgentChatEventKind, type AgentChatEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { snapshotOf } from '../../subscriptions/snapshot';
import { Streams } from '../../subscriptions/topics';
import type { AuditService } from '../audit/audit.service';

/** Longest chat message accepted. */
export const MAX_CHAT_LENGTH = 4000;

/** Unread chat messages of the caller, by sender. */
export interface UnreadCount {
  staffId: string;
  count: number;
}

const SUPERVISING: readonly Role[] = [Role.SUPERVISOR, Role.ADMIN];

function requirePerson(auth: Auth): string {
  if (!auth.staffId) throw new ForbiddenError('Chat is between people: an API key has none');
  return auth.staffId;
}

/**
 * C13: internal messages between a supervisor (or admin) and an agent: kept, streamed to both
 * people's windows (`agentChat`, one stream per person, resumable by seq), unread until the
 * recipient marks them read. Two agents do not chat here (that is not supervision). A message a
 * supervisor sends is audited (AGENT_CHAT, without its text: the message itself is kept).
 */
export class AgentChatService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
    private readonly audit: AuditService,
  ) {}

  async send(auth: Auth, toStaffId: string, rawBody: string): Promise<AgentChatMessage> {
    const fromStaffId = requirePerson(auth);
    const body = rawBody.trim();
    if (!body) throw new BadInputError('body', 'A message needs a body');
    if (body.length > MAX_CHAT_LENGTH)
      throw new BadInputError('body', `A message holds at most ${MAX_CHAT_LENGTH} characters`);
    return this.uow.run(async (tx) => {
      const recipient = await this.access.requireStaff(tx.manager, auth, toStaffId);
      if (recipient.id === fromStaffId)
        throw new BadInputError('toStaffId', 'Write to someone else');
      const supervising = SUPERVISING.includes(auth.role);
      if (!supervising && !SUPERVISING.includes(recipient.role))
        throw new ForbiddenError('Chat with agent is between supervisors and agents');
      if (!recipient.active) throw new ConflictError('This staff member is deactivated');
      const message = await tx.manager.save(
        tx.manager.create(AgentChatMessage, {
          organizationId: auth.organizationId,
          fromStaffId,
          toStaffId: recipient.id,
          body,
          readAt: null,
        }),
      );
      const payload: AgentChatEventPayload = {
        kind: AgentChatEventKind.MESSAGE,
        message: snapshotOf(message),
        actor: actorOf(auth),
      };
      for (const staffId of [fromStaffId, recipient.id])
        tx.emit(Streams.staffChat(auth.organizationId, staffId), auth.organizationId, payload);
      if (supervising) {
        await this.audit.record(
          tx,
          auth.organizationId,
          actorOf(auth),
          AuditEventKind.AGENT_CHAT,
          { type: 'Staff', id: recipient.id },
          { messageId: message.id },
        );
      }
      return message;
    });
  }

  /**
   * The caller's messages from `fromStaffId` are read now; both people's windows are told
   * (READ), so that badges and read receipts follow. Answers how many were unread.
   */
  async markRead(auth: Auth, fromStaffId: string): Promise<number> {
    const staffId = requirePerson(auth);
    return this.uow.run(async (tx) => {
      const sender = await this.access.requireStaff(tx.manager, auth, fromStaffId);
      const [rows] = (await tx.manager.query(
        `UPDATE agent_chat_message SET read_at = now()
          WHERE to_staff_id = $1 AND from_staff_id = $2 AND read_at IS NULL RETURNING id`,
        [staffId, sender.id],
      )) as [Array<{ id: string }>, number];
      if (rows.length === 0) return 0;
      const payload: AgentChatEventPayload = {
        kind: AgentChatEventKind.READ,
        read: { readerId: staffId, senderId: sender.id, count: rows.length },
        actor: actorOf(auth),
      };
      for (const id of [staffId, sender.id])
        tx.emit(Streams.staffChat(auth.organizationId, id), auth.organizationId, payload);
      return rows.length;
    });
  }

  /** The caller's unread messages, by sender (one indexed read). */
  async unread(auth: Auth): Promise<UnreadCount[]> {
    const staffId = requirePerson(auth);
    const rows = (await this.uow.dataSource.query(
      `SELECT from_staff_id, count(*)::int AS count FROM agent_chat_message
        WHERE to_staff_id = $1 AND read_at IS NULL GROUP BY from_staff_id ORDER BY from_staff_id`,
      [staffId],
    )) as Array<{ from_staff_id: string; count: number }>;
    return rows.map((row) => ({ staffId: row.from_staff_id, count: row.count }));
  }

  /** The caller's chat, every window of theirs: messages sent and received, and reads. */
  subscribe(auth: Auth, after?: number): AsyncIterableIterator<EventEnvelope> {
    const staffId = requirePerson(auth);
    return this.hub.subscribe(Streams.staffChat(auth.organizationId, staffId), { after });
  }
}
