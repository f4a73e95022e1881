import type { AccessPolicy } from '../../authz/access-policy';
import { actorOf, type Auth } from '../../context/auth';
import type { UnitOfWork } from '../../db/unit-of-work';
import { AuditEventKind } from '../../entities/audit-event.entity';
import { Role } from '../../entities/enums';
import { BadInputError, ForbiddenError } from '../../errors/domain-error';
import type { Logger } from '../../logger';
import type { EventHub } from '../../subscriptions/event-hub';
import { ConversationEventKind, type ConversationEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Streams } from '../../subscriptions/topics';
import type { AuditService, AuditSubject } from '../audit/audit.service';
import type { StreamAccessService } from '../session/stream-access.service';

/** Whom a supervisor spies on: one agent's assigned conversations, or one conversation. */
export interface SpyTarget {
  agentId?: string | null;
  conversationId?: string | null;
}

/** What a spy stream follows, once its access is checked. */
interface Followed {
  stream: string;
  subject: AuditSubject;
  /** Conversation mode: only this conversation's messages of the inbox's stream. */
  conversationId: string | null;
}

/**
 * C10: a SUPERVISOR or ADMIN follows every message, both directions, as stored, of an agent's
 * assigned conversations (the agent's message stream) or of one conversation (its inbox's stream,
 * its MESSAGE events only), with the stream's seq as the resume cursor. A spy stream is a
 * subscription: it carries nothing back, and nothing tells the agent. It is audited twice:
 * SPY_STARTED when it begins and SPY_ENDED with `from` and `until` however it ends (the client
 * stops, the socket closes, the access goes).
 */
export class SpyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
    private readonly audit: AuditService,
    private readonly streams: StreamAccessService,
    private readonly logger: Logger,
  ) {}

  async subscribe(
    auth: Auth,
    target: SpyTarget,
    after?: number,
  ): Promise<AsyncIterableIterator<EventEnvelope>> {
    if (!target.agentId === !target.conversationId)
      throw new BadInputError('agentId', 'Name an agent or a conversation (one of them)');
    const { value: followed, access } = await this.streams.check(auth, (now) =>
      this.follow(now, target),
    );
    const from = new Date();
    await this.record(auth, AuditEventKind.SPY_STARTED, followed.subject, { from, after });
    const events = this.hub.subscribe(followed.stream, { after, access });
    const messages = followed.conversationId
      ? onlyMessagesOf(events, followed.conversationId)
      : events;
    return whenEnded(messages, (how) =>
      this.record(auth, AuditEventKind.SPY_ENDED, followed.subject, {
        from,
        until: new Date(),
        how,
      }).catch((error: unknown) => this.logger.error('recording the end of a spy', error)),
    );
  }

  /** The rule, run at subscription and again whenever the supervisor's access changes. */
  private async follow(auth: Auth, target: SpyTarget): Promise<Followed> {
    if (auth.role !== Role.SUPERVISOR && auth.role !== Role.ADMIN)
      throw new ForbiddenError('Only supervisors and admins spy');
    const manager = this.uow.dataSource.manager;
    if (target.agentId) {
      const agent = await this.access.requireStaff(manager, auth, target.agentId);
      return {
        stream: Streams.staffMessages(auth.organizationId, agent.id),
        subject: { type: 'Staff', id: agent.id },
        conversationId: null,
      };
    }
    const conversation = await this.access.requireConversation(
      manager,
      auth,
      target.conversationId as string,
    );
    return {
      stream: Streams.inboxConversations(auth.organizationId, conversation.inboxId),
      subject: { type: 'Conversation', id: conversation.id },
      conversationId: conversation.id,
    };
  }

  private record(
    auth: Auth,
    kind: AuditEventKind,
    subject: AuditSubject,
    data: Record<string, unknown>,
  ): Promise<void> {
    return this.uow.run((tx) =>
      this.audit.record(tx, auth.organizationId, actorOf(auth), kind, subject, data),
    );
  }
}

/** The MESSAGE events of one conversation, of its inbox's stream (the rest is skipped). */
function onlyMessagesOf(
  events: AsyncIterableIterator<EventEnvelope>,
  conversationId: string,
): AsyncIterableIterator<EventEnvelope> {
  const filtered: AsyncIterableIterator<EventEnvelope> = {
    async next() {
      for (;;) {
        const result = await events.next();
        if (result.done) return result;
        const payload = result.value.payload as unknown as ConversationEventPayload;
        if (
          payload.kind === ConversationEventKind.MESSAGE &&
          payload.conversation.id === conversationId
        )
          return result;
      }
    },
    return: (value?: unknown) =>
      (events.return?.(value) ?? Promise.resolve({ value, done: true })) as Promise<
        IteratorResult<EventEnvelope>
      >,
    throw: (error?: unknown) =>
      (events.throw?.(error) ?? Promise.reject(error)) as Promise<IteratorResult<EventEnvelope>>,
    [Symbol.asyncIterator]: () => filtered,
  };
  return filtered;
}

/**
 * Calls `ended` once when the stream ends, however: the client completes it or its socket closes
 * (`return`), it fails (an access check: graphql-ws does not call `return` then), or it runs out.
 */
function whenEnded<T>(
  inner: AsyncIterableIterator<T>,
  ended: (how: 'completed' | 'failed') => unknown,
): AsyncIterableIterator<T> {
  let done = false;
  const end = (how: 'completed' | 'failed') => {
    if (done) return;
    done = true;
    void ended(how);
  };
  const wrapped: AsyncIterableIterator<T> = {
    async next() {
      try {
        const result = await inner.next();
        if (result.done) end('completed');
        return result;
      } catch (error) {
        end('failed');
        throw error;
      }
    },
    async return(value?: unknown) {
      end('completed');
      return (await (inner.return?.(value) ?? { value, done: true })) as IteratorResult<T>;
    },
    async throw(error?: unknown) {
      end('failed');
      return (await (inner.throw?.(error) ?? Promise.reject(error))) as IteratorResult<T>;
    },
    [Symbol.asyncIterator]: () => wrapped,
  };
  return wrapped;
}
