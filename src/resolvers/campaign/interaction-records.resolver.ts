import { Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { Campaign } from '../../entities/campaign.entity';
import { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';
import { ContactKind, InteractionState } from '../../entities/enums';
import { Message } from '../../entities/message.entity';
import { type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { InteractionRecordsService } from '../../services/campaign/interaction-records.service';
import { ConversationConnection, MessageConnection } from '../conversation/conversation.inputs';
import { ContactHistoryArgs, InteractionRecordsArgs } from './interaction-records.inputs';

@Resolver()
export class InteractionRecordsResolver {
  constructor(private readonly records: InteractionRecordsService) {}

  @Authorized(Permission.ReadInteractionRecords)
  @Query(() => ConversationConnection, {
    description:
      "Recordings (C15): the organization's campaign interactions, newest first. Each row " +
      'gives createdAt (its date), number, campaign, assignee (the agent), direction and ' +
      'interactionState; transcript on demand. SUPERVISOR and ADMIN search every interaction; ' +
      'AGENT and DISPATCHER those assigned to them.',
  })
  async interactionRecords(
    @CurrentAuth() auth: Auth,
    @Args() { filter, first, after }: InteractionRecordsArgs,
  ): Promise<ConnectionShape<Conversation>> {
    return toConnection(await this.records.search(auth, filter ?? {}, { first, after }));
  }
}

/** What a campaign interaction shows (C8) and what recordings read of it (C15). */
@Resolver(() => Conversation)
export class ConversationInteractionResolver {
  @FieldResolver(() => Campaign, {
    nullable: true,
    description:
      "A campaign's interaction: its campaign. The header of an interaction (C8) is " +
      '`campaign.name`, `number` (where it comes from) and `id` (its identifier).',
  })
  campaign(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<Campaign | null> | null {
    return conversation.campaignId ? loaders.campaign.load(conversation.campaignId) : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "The customer's number it comes from (E.164), when its contact is a phone.",
  })
  async number(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<string | null> {
    if (!conversation.contactId) return null;
    const contact = await loaders.contact.load(conversation.contactId);
    return contact?.kind === ContactKind.PHONE ? contact.value : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "A campaign's interaction: our number the customer writes to (its provider's account number).",
  })
  async campaignNumber(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<string | null> {
    if (!conversation.campaignId) return null;
    const campaign = await loaders.campaign.load(conversation.campaignId);
    const provider = campaign?.providerId ? await loaders.provider.load(campaign.providerId) : null;
    return provider?.accountNumber ?? null;
  }

  @FieldResolver(() => InteractionState, {
    nullable: true,
    description: "A campaign's interaction: its state in the recordings (C15).",
  })
  async interactionState(
    @Root() conversation: Conversation & { interactionState?: InteractionState },
    @Ctx() { loaders }: Context,
  ): Promise<InteractionState | null> {
    if (!conversation.campaignId) return null;
    return (
      conversation.interactionState ??
      ((await loaders.interactionState.load(conversation.id)) as InteractionState | null)
    );
  }

  @FieldResolver(() => [Message], {
    description:
      'Every message, both directions, in the order they were written (C15): the whole ' +
      'conversation at once, where `messages` pages it.',
  })
  transcript(@Root() conversation: Conversation, @Ctx() { loaders }: Context): Promise<Message[]> {
    return loaders.transcriptOfConversation.load(conversation.id);
  }
}

@Resolver(() => Contact)
export class ContactHistoryResolver {
  @FieldResolver(() => MessageConnection, {
    description:
      "The customer's previous messages on this contact (C7), both directions, newest first, " +
      'across all its conversations the caller sees (earlier interactions included).',
  })
  async history(
    @Root() contact: Contact,
    @Args() args: ContactHistoryArgs,
    @Ctx() { loaders }: Context,
  ): Promise<ConnectionShape<Message>> {
    return toConnection(await loaders.messagesOfContact(args).load(contact.id));
  }
}
