import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Extensions,
  FieldResolver,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { embeddedRelation } from '../../context/embedded-relations';
import type { Services } from '../../services';
import { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { Inbox } from '../../entities/inbox.entity';
import { Message } from '../../entities/message.entity';
import { Staff } from '../../entities/staff.entity';
import { ConnectionArgs, type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth, authOf } from '../../schema/decorators';
import { ConversationService } from '../../services/conversation/conversation.service';
import type { ConversationEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { IdArgs } from '../common/id.args';
import { ConversationEvent, toConversationEvent } from './conversation-event.type';
import {
  AssignConversationInput,
  CloseConversationInput,
  ConversationConnection,
  ConversationEventsArgs,
  ConversationInput,
  ConversationPayload,
  ConversationsArgs,
  MessageConnection,
  StartConversationInput,
} from './conversation.inputs';

@Resolver(() => Conversation)
export class ConversationResolver {
  constructor(private readonly conversationService: ConversationService) {}

  @Authorized(Permission.ReadConversations)
  @Query(() => Conversation)
  conversation(@CurrentAuth() auth: Auth, @Args() { id }: IdArgs): Promise<Conversation> {
    return this.conversationService.get(auth, id);
  }

  @Authorized(Permission.ReadConversations)
  @Query(() => ConversationConnection, {
    description: 'Newest first. Agents see their inboxes and their own conversations.',
  })
  async conversations(
    @CurrentAuth() auth: Auth,
    @Args() { filter, first, after }: ConversationsArgs,
  ): Promise<ConnectionShape<Conversation>> {
    return toConnection(await this.conversationService.list(auth, filter ?? {}, { first, after }));
  }

  @Authorized(Permission.RecordCustomerMessages)
  @Mutation(() => ConversationPayload)
  async startConversation(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: StartConversationInput,
  ): Promise<ConversationPayload> {
    return { conversation: await this.conversationService.start(auth, input) };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => ConversationPayload)
  async assignConversation(
    @CurrentAuth() auth: Auth,
    @Arg('input') { conversationId, staffId, ...guard }: AssignConversationInput,
  ): Promise<ConversationPayload> {
    return {
      conversation: await this.conversationService.assign(auth, conversationId, staffId, guard),
    };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => ConversationPayload)
  async closeConversation(
    @CurrentAuth() auth: Auth,
    @Arg('input') { conversationId, ...guard }: CloseConversationInput,
  ): Promise<ConversationPayload> {
    return { conversation: await this.conversationService.close(auth, conversationId, guard) };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => ConversationPayload)
  async archiveConversation(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: ConversationInput,
  ): Promise<ConversationPayload> {
    return { conversation: await this.conversationService.archive(auth, input.conversationId) };
  }

  @Authorized(Permission.DeleteConversations)
  @Mutation(() => ConversationPayload, {
    description: 'The conversation is NOT_FOUND from then on.',
  })
  async deleteConversation(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: ConversationInput,
  ): Promise<ConversationPayload> {
    return { conversation: await this.conversationService.delete(auth, input.conversationId) };
  }

  @Authorized(Permission.ReadConversations)
  @Subscription(() => ConversationEvent, {
    description: 'Conversation events of one inbox, each with its per-inbox seq.',
    subscribe: ({ args, context }) => {
      const { inboxId, after } = args as ConversationEventsArgs;
      return (context as Context<Services>).services.conversationEvents.subscribe(
        authOf(context),
        inboxId,
        after ?? undefined,
      );
    },
  })
  conversationEvents(
    @Root() envelope: EventEnvelope<ConversationEventPayload>,
    @Args({ validate: false }) _args: ConversationEventsArgs,
  ): ConversationEvent {
    return toConversationEvent(envelope);
  }

  // `reads`: all these resolvers read of their conversation, so a list that selects only them
  // reads only those columns (src/schema/selected-properties.ts). Keep it true when editing.
  @Extensions({ reads: ['customerId'] })
  @FieldResolver(() => Customer)
  async customer(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<Customer | null> {
    return loaders.customer.load(conversation.customerId);
  }

  @Extensions({ reads: ['contactId'] })
  @FieldResolver(() => Contact, { nullable: true })
  contact(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<Contact | null> | null {
    return conversation.contactId ? loaders.contact.load(conversation.contactId) : null;
  }

  @Extensions({ reads: ['inboxId'] })
  @FieldResolver(() => Inbox)
  async inbox(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Promise<Inbox | null> {
    return loaders.inbox.load(conversation.inboxId);
  }

  @Extensions({ reads: ['assigneeId'], embeds: 'assignee' })
  @FieldResolver(() => Staff, { nullable: true })
  assignee(
    @Root() conversation: Conversation,
    @Ctx() { loaders }: Context,
  ): Staff | Promise<Staff | null> | null {
    const embedded = embeddedRelation<Staff | null>(conversation, 'assignee');
    if (embedded !== undefined) return embedded;
    return conversation.assigneeId ? loaders.staff.load(conversation.assigneeId) : null;
  }

  @Extensions({ reads: ['id'] })
  @FieldResolver(() => MessageConnection, { description: 'Oldest first.' })
  async messages(
    @Root() conversation: Conversation,
    @Args() args: ConnectionArgs,
    @Ctx() { loaders }: Context,
  ): Promise<ConnectionShape<Message>> {
    return toConnection(await loaders.messagesOfConversation(args).load(conversation.id));
  }
}
