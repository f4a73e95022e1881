import { ArgsType, Field, ID, Int, ObjectType } from 'type-graphql';
import { IsUUID } from 'class-validator';
import { Campaign } from '../../entities/campaign.entity';
import { Conversation } from '../../entities/conversation.entity';
import { StaffStatus } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';

@ArgsType()
export class AgentArgs {
  @Field(() => ID)
  @IsUUID('all')
  agentId: string;
}

@ObjectType({ description: 'C11: an agent at a glance.' })
export class AgentInfo {
  @Field(() => Staff)
  agent: Staff;

  @Field(() => StaffStatus, { description: 'ONLINE, AWAY or OFFLINE, as the agent set it.' })
  status: StaffStatus;

  @Field({
    description:
      'Paused by a supervisor (agent.pausedAt and agent.pauseReason say since when and why).',
  })
  paused: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'The earliest live sign-in; null when signed out.',
  })
  signedInSince: Date | null;

  @Field(() => [Campaign], {
    description: 'C11: the campaigns they are a member of (enabled or not), by name.',
  })
  campaigns: Campaign[];

  @Field(() => [Conversation], {
    description: 'Open conversations assigned to them, oldest first.',
  })
  activeInteractions: Conversation[];

  @Field(() => Int)
  activeInteractionCount: number;
}

@ObjectType({ description: 'One console window of an agent, alive within the TTL.' })
export class AgentWindow {
  @Field(() => ID)
  sessionId: string;

  @Field({ description: 'WINDOW (a WebSocket console) or SIGN_IN (an HTTP client).' })
  kind: string;

  @Field()
  openedAt: Date;

  @Field({ description: 'Last seen: its socket kept alive, or a request it made.' })
  lastSeenAt: Date;

  inboxId: string | null;

  conversationId: string | null;

  @Field(() => Conversation, {
    nullable: true,
    description: 'The conversation whose co-working lock it holds (else the one it has open).',
  })
  conversation: Conversation | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Since when it holds the lock of `conversation`.',
  })
  lockedSince: Date | null;
}

@ObjectType({ description: "What an agent's consoles are doing (from the co-working locks)." })
export class AgentActivity {
  agentId: string;

  @Field(() => [AgentWindow])
  windows: AgentWindow[];

  @Field(() => Date, { nullable: true, description: 'The latest moment any window was seen.' })
  lastActiveAt: Date | null;

  @Field({ description: 'When these figures were read.' })
  at: Date;
}
