import { Arg, Authorized, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import { CurrentAuth } from '../../schema/decorators';
import { OutgoingService } from '../../services/campaign/outgoing.service';
import { StartOutgoingInteractionInput, StartOutgoingInteractionPayload } from './outgoing.inputs';

@Resolver()
export class OutgoingResolver {
  constructor(private readonly outgoing: OutgoingService) {}

  @Authorized(Permission.WorkConversations)
  @Mutation(() => StartOutgoingInteractionPayload, {
    description:
      'C16: a member starts an interaction with a number in a campaign; it is theirs (CAPACITY_REACHED at the maximum, FORBIDDEN for a non-member or a paused agent). Free text without an open window is REPLY_WINDOW_CLOSED; CONFLICT when the number already has an open interaction in the campaign (its conversationId given).',
  })
  async startOutgoingInteraction(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: StartOutgoingInteractionInput,
  ): Promise<StartOutgoingInteractionPayload> {
    return { conversation: await this.outgoing.start(auth, input) };
  }
}
