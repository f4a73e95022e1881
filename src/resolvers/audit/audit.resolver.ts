import { Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { AssistSession } from '../../entities/assist-session.entity';
import { AuditEvent } from '../../entities/audit-event.entity';
import { Customer } from '../../entities/customer.entity';
import { type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { AuditService } from '../../services/audit/audit.service';
import { Actor } from '../common/actor.type';
import { AuditEventConnection, AuditEventsArgs } from './audit.inputs';

@Resolver(() => AuditEvent)
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Authorized(Permission.ReadAuditEvents)
  @Query(() => AuditEventConnection, {
    description: "The organization's audit trail, newest first.",
  })
  async auditEvents(
    @CurrentAuth() auth: Auth,
    @Args() { filter, first, after }: AuditEventsArgs,
  ): Promise<ConnectionShape<AuditEvent>> {
    return toConnection(await this.audit.list(auth, filter ?? {}, { first, after }));
  }

  @FieldResolver(() => Actor, {
    description: 'Who acted: with assisted service, the staff member (the customer is onBehalfOf).',
  })
  actor(@Root() event: AuditEvent): Actor {
    return { kind: event.actorKind, id: event.actorId, name: event.actorName };
  }

  @FieldResolver(() => Customer, {
    nullable: true,
    description: 'The customer it was done for, when it was done on their behalf.',
  })
  onBehalfOf(
    @Root() event: AuditEvent,
    @Ctx() { loaders }: Context,
  ): Promise<Customer | null> | null {
    return event.onBehalfOfId ? loaders.customer.load(event.onBehalfOfId) : null;
  }

  @FieldResolver(() => AssistSession, { nullable: true })
  assistSession(
    @Root() event: AuditEvent,
    @Ctx() { loaders }: Context,
  ): Promise<AssistSession | null> | null {
    return event.assistSessionId ? loaders.assistSession.load(event.assistSessionId) : null;
  }
}
