import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { Conversation } from '../../entities/conversation.entity';
import { MAX_BODY_LENGTH } from '../../services/conversation/message.service';

@InputType({
  description:
    "C16: the number to write to and the first message: a canned response that is an approved template (no window is open with a customer who has not written), or text while the customer's 24-hour window with this number is open.",
})
export class StartOutgoingInteractionInput {
  @Field(() => ID, { description: 'A campaign the caller is a member of.' })
  @IsUUID('all')
  campaignId: string;

  @Field({ description: "The customer's number, E.164 (+14155550100)." })
  @IsString()
  @MinLength(1)
  @MaxLength(32)
  to: string;

  @Field(() => ID, { nullable: true, description: 'A canned response of the campaign.' })
  @IsOptional()
  @IsUUID('all')
  cannedResponseId?: string | null;

  @Field(() => String, { nullable: true, description: 'Free text instead of a canned response.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_BODY_LENGTH)
  body?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  subject?: string | null;
}

@ObjectType()
export class StartOutgoingInteractionPayload {
  @Field(() => Conversation, {
    description: "The new interaction, the caller's; its first message is QUEUED in the outbox.",
  })
  conversation: Conversation;
}
