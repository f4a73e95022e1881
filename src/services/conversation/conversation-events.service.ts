import type { AccessPolicy } from '../../authz/access-policy';
import type { Auth } from '../../context/auth';
import type { UnitOfWork } from '../../db/unit-of-work';
import type { EventHub } from '../../subscriptions/event-hub';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Streams } from '../../subscriptions/topics';

export class ConversationEventsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
  ) {}

  /** The inbox's conversation events, after `after` when resuming, then live. */
  async subscribe(
    auth: Auth,
    inboxId: string,
    after?: number,
  ): Promise<AsyncIterableIterator<EventEnvelope>> {
    const inbox = await this.access.requireInbox(this.uow.dataSource.manager, auth, inboxId);
    return this.hub.subscribe(Streams.inboxConversations(auth.organizationId, inbox.id), { after });
  }
}
