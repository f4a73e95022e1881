import { Arg, Authorized, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import { CurrentAuth } from '../../schema/decorators';
import { SupervisionService } from '../../services/supervision/supervision.service';
import {
  AgentInput,
  AgentPayload,
  DisconnectAgentPayload,
  PauseAgentInput,
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
}
