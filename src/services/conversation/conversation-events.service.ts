import type { AccessPolicy } from '../../authz/access-policy';
import type { Auth } from '../../context/auth';
import type { UnitOfWork } from '../../db/unit-of-work';
import type { StreamAccessService } from '../session/stream-access.service';
import type { EventHub } from '../../subscriptions/event-hub';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { Streams } from '../../subscriptions/topics';

export class ConversationEventsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
    private readonly streams: StreamAccessService,
  ) {}

  /** The inbox's conversation events, after `after` when resuming, then live. */
  async subscribe(
    auth: Auth,
    inboxId: string,
    after?: number,
  ): Promise<AsyncIterableIterator<EventEnvelope>> {
    const { value: inbox, access } = await this.streams.check(auth, (now) =>
      this.access.requireInbox(this.uow.dataSource.manager, now, inboxId),
    );
    return this.hub.subscribe(Streams.inboxConversations(auth.organizationId, inbox.id), {
      after,
      access,
    });
  }
}
