import { ArgsType, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { IsUUID } from 'class-validator';
import { GraphQLLocalDate } from 'graphql-scalars';
import { Campaign } from '../../entities/campaign.entity';
import { Conversation } from '../../entities/conversation.entity';
import { StaffStatus } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';

@ArgsType()
export class CampaignMonitorArgs {
  @Field(() => ID)
  @IsUUID('all')
  campaignId: string;
}

@ObjectType({ description: 'C9: a member of the campaign, as its monitor shows them.' })
export class CampaignMemberStatus {
  @Field(() => Staff)
  agent: Staff;

  @Field(() => StaffStatus, { description: 'ONLINE, AWAY or OFFLINE, as the agent set it.' })
  status: StaffStatus;

  @Field({ description: 'Paused by a supervisor (C12): offered and taking nothing new.' })
  paused: boolean;

  @Field(() => Date, { nullable: true })
  pausedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why they are paused.' })
  pauseReason: string | null;

  @Field(() => [Conversation], {
    description: 'Their open interactions of this campaign, longest waiting first.',
  })
  activeInteractions: Conversation[];
}

@ObjectType({
  description:
    "C9: a campaign's live figures. 'Today' is the organization's day (its timeZone, from its dayResetTime); each event counts on the day it happened: offered when it started waiting, answered when first taken, abandoned when it left the queue untaken, handled when it ended.",
})
export class CampaignMonitor {
  @Field(() => Campaign)
  campaign: Campaign;

  @Field({ description: 'When these figures were read.' })
  at: Date;

  @Field(() => GraphQLLocalDate, { description: "The organization's current day." })
  day: string;

  @Field({ description: 'When that day started.' })
  dayStartsAt: Date;

  @Field(() => [CampaignMemberStatus], { description: 'Every member, by name.' })
  members: CampaignMemberStatus[];

  @Field(() => Int, { description: 'Interactions waiting in the queue now.' })
  waitingCount: number;

  @Field(() => Date, {
    nullable: true,
    description: 'The waitingSince of the longest waiting one: count the live wait from it.',
  })
  oldestWaitingSince: Date | null;

  @Field(() => Int, { description: 'The longest wait now (at `at`), in seconds; 0 when none.' })
  longestWaitSeconds: number;

  @Field(() => Int, {
    description: 'Interactions that started waiting today (a requeue is not offered again).',
  })
  offered: number;

  @Field(() => Int, { description: 'Interactions taken today (their first take).' })
  answered: number;

  @Field(() => Int, {
    description: "Of those, taken within the campaign's serviceLevelSeconds (wait <= threshold).",
  })
  answeredWithinThreshold: number;

  @Field(() => Int, {
    description: 'Interactions that left the queue ABANDONED today without being taken.',
  })
  abandoned: number;

  @Field(() => Int, {
    description: "Of those, abandoned within the campaign's shortAbandonSeconds.",
  })
  shortAbandoned: number;

  @Field(() => Int, { description: 'Taken interactions that ended (closed or archived) today.' })
  handled: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Service level today, a percentage: answeredWithinThreshold / (answered + (abandoned - shortAbandoned)) * 100 when the campaign has serviceLevelCountsAbandoned, else answeredWithinThreshold / answered * 100. Null before anything was answered or counted as abandoned. (Genesys counts answered-within over answered + abandoned; Talkdesk leaves short abandons out; this is both.)',
  })
  serviceLevel: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Average wait of the interactions answered today, in seconds (waitingSince to the first take); null when none.',
  })
  averageWaitSeconds: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Average handle time of those handled today, in seconds (first take to end); null when none.',
  })
  averageHandleSeconds: number | null;
}
