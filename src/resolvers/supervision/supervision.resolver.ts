import { Arg, Args, Authorized, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { authOf, CurrentAuth } from '../../schema/decorators';
import type { Services } from '../../services';
import type { ConversationEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { SupervisionService } from '../../services/supervision/supervision.service';
import {
  AgentInput,
  AgentPayload,
  DisconnectAgentPayload,
  PauseAgentInput,
  SpyArgs,
  SpyEvent,
  toSpyEvent,
} from './supervision.inputs';

@Resolver()
export class SupervisionResolver {
  constructor(private readonly supervision: SupervisionService) {}

  @Authorized(Permission.SuperviseAgents)
  @Mutation(() => AgentPayload, {
    description:
      'C12: the agent is offered and may take no new interactions until resumed; pausing a paused agent records the new reason.',
  })
  async pauseAgent(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: PauseAgentInput,
  ): Promise<AgentPayload> {
    return { agent: await this.supervision.pause(auth, input.agentId, input.reason) };
  }

  @Authorized(Permission.SuperviseAgents)
  @Mutation(() => AgentPayload, { description: 'C12: ends a pause (no-op when not paused).' })
  async resumeAgent(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: AgentInput,
  ): Promise<AgentPayload> {
    return { agent: await this.supervision.resume(auth, input.agentId) };
  }

  @Authorized(Permission.SuperviseAgents)
  @Mutation(() => DisconnectAgentPayload, {
    description:
      "C14: revokes every sign-in of the agent at once: their sockets close with 4403 on every instance, their tokens are refused, their windows' locks are released; they sign in again.",
  })
  disconnectAgent(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: AgentInput,
  ): Promise<DisconnectAgentPayload> {
    return this.supervision.disconnect(auth, input.agentId);
  }

  @Authorized(Permission.SuperviseAgents)
  @Subscription(() => SpyEvent, {
    description:
      "C10: every message, both directions, as stored, of the conversations assigned to an agent (agentId) or of one conversation (conversationId); read-only, the agent is not told, and audited (SPY_STARTED, then SPY_ENDED with from and until however it ends). Ends with FORBIDDEN when the caller's access goes.",
    subscribe: ({ args, context }) => {
      const { agentId, conversationId, after } = args as SpyArgs;
      return (context as Context<Services>).services.spy.subscribe(
        authOf(context),
        { agentId, conversationId },
        after ?? undefined,
      );
    },
  })
  spy(
    @Root() envelope: EventEnvelope<ConversationEventPayload>,
    @Args({ validate: false }) _args: SpyArgs,
  ): SpyEvent {
    return toSpyEvent(envelope);
  }
}
