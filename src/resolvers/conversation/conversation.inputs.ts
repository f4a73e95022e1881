import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Conversation } from '../../entities/conversation.entity';
import { Channel, ConversationStatus, Direction } from '../../entities/enums';
import { Message } from '../../entities/message.entity';
import { ConnectionArgs, ConnectionType } from '../../schema/connection';
import { MAX_BODY_LENGTH } from '../../services/conversation/message.service';

@InputType()
export class StartConversationInput {
  @Field(() => ID)
  @IsUUID('all')
  customerId: string;

  @Field(() => ID, { nullable: true, description: "One of the customer's contacts." })
  @IsOptional()
  @IsUUID('all')
  contactId?: string | null;

  @Field(() => Channel)
  @IsEnum(Channel)
  channel: Channel;

  @Field(() => ID, { nullable: true, description: "Defaults to the organization's default inbox." })
  @IsOptional()
  @IsUUID('all')
  inboxId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  subject?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The first message, from the customer when INCOMING.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_BODY_LENGTH)
  body?: string | null;

  @Field(() => Direction, { nullable: true, defaultValue: Direction.INCOMING })
  @IsOptional()
  @IsEnum(Direction)
  direction?: Direction | null;
}

@InputType()
export class PostCustomerMessageInput {
  @Field(() => ID)
  @IsUUID('all')
  conversationId: string;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_BODY_LENGTH)
  body: string;
}

/** A write on a ticket, with what the writer relies on (co-working, L10 and L12). */
@InputType({ description: 'A write on a ticket and the view it relies on.' })
export class GuardedTicketInput {
  @Field(() => ID)
  @IsUUID('all')
  conversationId: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'The token of your lock on the ticket: refused with LOCK_LOST if a newer lock exists.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  lockToken?: number | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'The last message you saw: refused with CONFLICT, listing what you missed, if newer ones exist.',
  })
  @IsOptional()
  @IsUUID('all')
  lastSeenMessageId?: string | null;
}

@InputType()
export class SendMessageInput extends GuardedTicketInput {
  @Field(() => String, {
    nullable: true,
    description: 'The text; or name a canned response instead (campaign interactions).',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_BODY_LENGTH)
  body?: string | null;

  @Field(() => ID, {
    nullable: true,
    description:
      "A canned response of the interaction's campaign; an approved template is what may be " +
      "sent outside the customer's 24-hour window.",
  })
  @IsOptional()
  @IsUUID('all')
  cannedResponseId?: string | null;
}

@InputType()
export class AssignConversationInput extends GuardedTicketInput {
  @Field(() => ID, { description: 'Agents may only name themselves.' })
  @IsUUID('all')
  staffId: string;
}

@InputType()
export class CloseConversationInput extends GuardedTicketInput {}

@InputType({ description: 'Names one conversation.' })
export class ConversationInput {
  @Field(() => ID)
  @IsUUID('all')
  conversationId: string;
}

@InputType()
export class ConversationFilterInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  inboxId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  customerId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all')
  assigneeId?: string | null;

  @Field(() => ConversationStatus, { nullable: true })
  @IsOptional()
  @IsEnum(ConversationStatus)
  status?: ConversationStatus | null;

  @Field(() => Channel, { nullable: true })
  @IsOptional()
  @IsEnum(Channel)
  channel?: Channel | null;
}

@ArgsType()
export class ConversationsArgs extends ConnectionArgs {
  @Field(() => ConversationFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: ConversationFilterInput | null;
}

@ArgsType()
export class ConversationEventsArgs {
  @Field(() => ID)
  @IsUUID('all')
  inboxId: string;

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
export class ConversationPayload {
  @Field(() => Conversation)
  conversation: Conversation;
}

@InputType({ description: 'A FAILED message to send again.' })
export class RetryMessageInput {
  @Field(() => ID)
  @IsUUID('all')
  messageId: string;
}

@ObjectType()
export class MessagePayload {
  @Field(() => Message)
  message: Message;
}

export const ConversationConnection = ConnectionType(Conversation);
export const MessageConnection = ConnectionType(Message);
