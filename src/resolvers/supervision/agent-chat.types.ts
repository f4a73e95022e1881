import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsInt, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { AgentChatMessage } from '../../entities/agent-chat-message.entity';
import { Staff } from '../../entities/staff.entity';
import { MAX_CHAT_LENGTH } from '../../services/supervision/agent-chat.service';
import { AgentChatEventKind } from '../../subscriptions/payloads';
import { IsNotBlank } from '../common/validation';
import { Actor } from '../common/actor.type';

@InputType()
export class SendAgentChatInput {
  @Field(() => ID)
  @IsUUID('all')
  toStaffId: string;

  @Field()
  @IsString()
  @IsNotBlank()
  @MaxLength(MAX_CHAT_LENGTH)
  body: string;
}

@InputType()
export class MarkAgentChatReadInput {
  @Field(() => ID, { description: 'Whose messages to you are read now.' })
  @IsUUID('all')
  staffId: string;
}

@ArgsType()
export class AgentChatArgs {
  @Field(() => Int, {
    nullable: true,
    description:
      'Resume cursor: the last seq received. Missed events are replayed first, then live ones follow.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  after?: number | null;
}

@ObjectType()
export class SendAgentChatPayload {
  @Field(() => AgentChatMessage)
  message: AgentChatMessage;
}

@ObjectType()
export class UnreadFrom {
  staffId: string;

  @Field(() => Staff)
  staff: Staff;

  @Field(() => Int)
  count: number;
}

@ObjectType({ description: "The caller's unread chat messages." })
export class AgentChatUnread {
  @Field(() => Int)
  total: number;

  @Field(() => [UnreadFrom], { description: 'By sender.' })
  bySender: UnreadFrom[];
}

@ObjectType()
export class MarkAgentChatReadPayload {
  @Field(() => Int, { description: 'Messages that were unread.' })
  read: number;
}

@ObjectType()
export class AgentChatRead {
  @Field(() => Staff, { description: 'Who read.' })
  reader: Staff;

  @Field(() => Staff, { description: 'Whose messages they read.' })
  sender: Staff;

  @Field(() => Int)
  count: number;
}

@ObjectType({
  description: "Something happened in the caller's chat with supervisors or agents (C13).",
})
export class AgentChatEvent {
  @Field(() => Int, { description: 'Per-person sequence: the resume cursor.' })
  seq: number;

  @Field(() => AgentChatEventKind)
  kind: AgentChatEventKind;

  @Field()
  at: Date;

  @Field(() => Actor)
  actor: Actor;

  @Field(() => AgentChatMessage, { nullable: true, description: 'Set for MESSAGE.' })
  message: AgentChatMessage | null;

  @Field(() => AgentChatRead, { nullable: true, description: 'Set for READ.' })
  read: AgentChatRead | null;
}
