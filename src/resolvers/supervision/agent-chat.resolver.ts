import {
  Arg,
  Args,
  Authorized,
  Ctx,
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
import { AgentChatMessage } from '../../entities/agent-chat-message.entity';
import { Staff } from '../../entities/staff.entity';
import { authOf, CurrentAuth } from '../../schema/decorators';
import type { Services } from '../../services';
import { AgentChatService } from '../../services/supervision/agent-chat.service';
import type { AgentChatEventPayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { fromSnapshot } from '../../subscriptions/snapshot';
import {
  AgentChatArgs,
  AgentChatEvent,
  AgentChatUnread,
  MarkAgentChatReadInput,
  MarkAgentChatReadPayload,
  SendAgentChatInput,
  SendAgentChatPayload,
} from './agent-chat.types';

async function staffOf(loaders: Context['loaders'], id: string): Promise<Staff> {
  return (await loaders.staff.load(id)) as Staff;
}

@Resolver(() => AgentChatMessage)
export class AgentChatResolver {
  constructor(private readonly chat: AgentChatService) {}

  @Authorized(Permission.ChatWithAgents)
  @Mutation(() => SendAgentChatPayload, {
    description:
      'C13: an internal message to a supervisor (from an agent) or to anyone (from a supervisor or admin).',
  })
  async sendAgentChat(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: SendAgentChatInput,
  ): Promise<SendAgentChatPayload> {
    return { message: await this.chat.send(auth, input.toStaffId, input.body) };
  }

  @Authorized(Permission.ChatWithAgents)
  @Mutation(() => MarkAgentChatReadPayload)
  async markAgentChatRead(
    @CurrentAuth() auth: Auth,
    @Arg('input') input: MarkAgentChatReadInput,
  ): Promise<MarkAgentChatReadPayload> {
    return { read: await this.chat.markRead(auth, input.staffId) };
  }

  @Authorized(Permission.ChatWithAgents)
  @Query(() => AgentChatUnread)
  async agentChatUnread(
    @CurrentAuth() auth: Auth,
    @Ctx() { loaders }: Context,
  ): Promise<AgentChatUnread> {
    const counts = await this.chat.unread(auth);
    const bySender = await Promise.all(
      counts.map(async (count) => ({ ...count, staff: await staffOf(loaders, count.staffId) })),
    );
    return { total: counts.reduce((sum, count) => sum + count.count, 0), bySender };
  }

  @Authorized(Permission.ChatWithAgents)
  @Subscription(() => AgentChatEvent, {
    description:
      "C13: the caller's chat on every window: messages sent and received, and reads; resumable.",
    subscribe: ({ args, context }) =>
      (context as Context<Services>).services.agentChat.subscribe(
        authOf(context),
        (args as AgentChatArgs).after ?? undefined,
      ),
  })
  async agentChat(
    @Root() envelope: EventEnvelope<AgentChatEventPayload>,
    @Args({ validate: false }) _args: AgentChatArgs,
    @Ctx() { loaders }: Context,
  ): Promise<AgentChatEvent> {
    const { kind, message, read, actor } = envelope.payload;
    return {
      seq: envelope.seq,
      kind,
      at: new Date(envelope.at),
      actor,
      message: message ? fromSnapshot(AgentChatMessage, message) : null,
      read: read
        ? {
            reader: await staffOf(loaders, read.readerId),
            sender: await staffOf(loaders, read.senderId),
            count: read.count,
          }
        : null,
    };
  }

  @FieldResolver(() => Staff)
  from(@Root() message: AgentChatMessage, @Ctx() { loaders }: Context): Promise<Staff> {
    return staffOf(loaders, message.fromStaffId);
  }

  @FieldResolver(() => Staff)
  to(@Root() message: AgentChatMessage, @Ctx() { loaders }: Context): Promise<Staff> {
    return staffOf(loaders, message.toStaffId);
  }
}
