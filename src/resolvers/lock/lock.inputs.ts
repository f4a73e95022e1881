import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { IsUUID } from 'class-validator';

@InputType({ description: 'Names one ticket (conversation).' })
export class TicketInput {
  @Field(() => ID)
  @IsUUID('all')
  conversationId: string;
}

@InputType()
export class EnterInboxInput {
  @Field(() => ID)
  @IsUUID('all')
  inboxId: string;
}

@ArgsType()
export class InboxArgs {
  @Field(() => ID)
  @IsUUID('all')
  inboxId: string;
}
