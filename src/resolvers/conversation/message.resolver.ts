import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import { AuthorKind } from '../../entities/enums';
import { Message } from '../../entities/message.entity';
import { Staff } from '../../entities/staff.entity';
import { CurrentAuth } from '../../schema/decorators';
import { MessageService } from '../../services/conversation/message.service';
import {
  MessagePayload,
  PostCustomerMessageInput,
  RetryMessageInput,
  SendMessageInput,
} from './conversation.inputs';

@Resolver(() => Message)
export class MessageResolver {
  constructor(private readonly messageService: MessageService) {}

  @Authorized(Permission.RecordCustomerMessages)
  @Mutation(() => MessagePayload, {
    description: 'Records what the customer wrote. A closed conversation reopens.',
  })
  async postCustomerMessage(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: PostCustomerMessageInput,
  ): Promise<MessagePayload> {
    return {
      message: await this.messageService.postCustomerMessage(
        auth,
        input.conversationId,
        input.body,
      ),
    };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => MessagePayload, { description: 'A reply from staff to the customer.' })
  async sendMessage(
    @CurrentAuth() auth: Auth,
    @Arg('input') { conversationId, body, cannedResponseId, ...guard }: SendMessageInput,
  ): Promise<MessagePayload> {
    return {
      message: await this.messageService.send(
        auth,
        conversationId,
        { body, cannedResponseId },
        guard,
      ),
    };
  }

  @Authorized(Permission.WorkConversations)
  @Mutation(() => MessagePayload, {
    description:
      'C6: sends a FAILED message again (QUEUED, through the outbox). CONFLICT unless it is FAILED and its conversation open; REPLY_WINDOW_CLOSED for text once the 24-hour window has closed (a template goes at any time).',
  })
  async retryMessage(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: RetryMessageInput,
  ): Promise<MessagePayload> {
    return { message: await this.messageService.retry(auth, input.messageId) };
  }

  @FieldResolver(() => Staff, { nullable: true, description: 'The staff member who wrote it.' })
  author(@Root() message: Message, @Ctx() { loaders }: Context): Promise<Staff | null> | null {
    return message.authorKind === AuthorKind.STAFF && message.authorId
      ? loaders.staff.load(message.authorId)
      : null;
  }
}
