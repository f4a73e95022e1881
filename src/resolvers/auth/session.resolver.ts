import { Authorized, Field, ID, Mutation, ObjectType, Resolver } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import { CurrentAuth } from '../../schema/decorators';
import { ClientSessionService } from '../../services/session/client-session.service';

@ObjectType()
export class HeartbeatPayload {
  @Field(() => ID, { description: 'The window kept alive.' })
  sessionId: string;
}

@Resolver()
export class SessionResolver {
  constructor(private readonly clientSessions: ClientSessionService) {}

  @Authorized(Permission.OwnSession)
  @Mutation(() => HeartbeatPayload, {
    description:
      'Keeps an HTTP-only window (named by the X-Client-Session header, else the sign-in session) alive: ' +
      'send one well within LOCK_TTL_SECONDS, or its ticket lock is released. WebSocket windows need none.',
  })
  async heartbeat(@CurrentAuth() auth: Auth): Promise<HeartbeatPayload> {
    return { sessionId: await this.clientSessions.heartbeat(auth) };
  }
}
