import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLLocalDate } from 'graphql-scalars';
import { IsEnum, IsOptional, IsString, IsTimeZone, IsUUID, MaxLength } from 'class-validator';
import { AssistReportGroup } from '../../services/assist/assist-report.queries';

/** The rule for days, stated in every description a report's reader sees. */
export const DAY_RULE =
  'A session counts, whole, on the local day it started (in the time zone), even when it runs ' +
  'past midnight: the interaction log is a timesheet entry, dated once. Local days follow the ' +
  "zone's daylight-saving changes (such a day is 23 or 25 hours); time spent is always the " +
  'real time between start and end. Only ended sessions count; one past ASSIST_MAX_MINUTES is ' +
  'ended (TIMED_OUT).';

@InputType()
export class AssistReportInput {
  @Field(() => GraphQLLocalDate, { description: 'First local day, included.' })
  from: string;

  @Field(() => GraphQLLocalDate, { description: 'Last local day, included (at most 366 days).' })
  to: string;

  @Field(() => AssistReportGroup)
  @IsEnum(AssistReportGroup)
  groupBy: AssistReportGroup;

  @Field(() => String, {
    nullable: true,
    description: "IANA time zone of the days; default the organization's.",
  })
  @IsOptional()
  @IsString()
  @IsTimeZone({ message: 'timeZone must be an IANA time zone, e.g. Europe/Paris' })
  @MaxLength(64)
  timeZone?: string | null;
}

@ArgsType()
export class AssistTimesheetArgs {
  @Field(() => ID)
  @IsUUID('all')
  agentId: string;

  @Field(() => GraphQLLocalDate, { description: 'First local day, included.' })
  from: string;

  @Field(() => GraphQLLocalDate, { description: 'Last local day, included (at most 366 days).' })
  to: string;

  @Field(() => String, {
    nullable: true,
    description: "IANA time zone of the days; default the organization's.",
  })
  @IsOptional()
  @IsString()
  @IsTimeZone({ message: 'timeZone must be an IANA time zone, e.g. Europe/Paris' })
  @MaxLength(64)
  timeZone?: string | null;
}

@ObjectType()
export class AssistReportTotals {
  @Field(() => Int)
  sessions: number;

  @Field(() => Float)
  totalSeconds: number;

  @Field(() => Float)
  averageSeconds: number;
}

@ObjectType({ description: 'One service, channel, agent or outcome of an assist report.' })
export class AssistReportLine extends AssistReportTotals {
  groupBy: AssistReportGroup;

  @Field({ description: 'The service, channel, agent (staff id) or outcome.' })
  key: string;
}

@ObjectType({
  description: `Time spent assisting customers over a range of days (A6). ${DAY_RULE}`,
})
export class AssistReport {
  @Field(() => GraphQLLocalDate)
  from: string;

  @Field(() => GraphQLLocalDate)
  to: string;

  @Field()
  timeZone: string;

  @Field(() => AssistReportGroup)
  groupBy: AssistReportGroup;

  @Field(() => [AssistReportLine], { description: 'Most time first.' })
  lines: AssistReportLine[];

  @Field(() => AssistReportTotals)
  totals: AssistReportTotals;
}

@ObjectType()
export class AssistTimesheetDay {
  @Field(() => GraphQLLocalDate)
  date: string;

  @Field(() => Int)
  sessions: number;

  @Field(() => Float)
  totalSeconds: number;
}

@ObjectType({ description: `An agent's assist sessions and time spent per day (A5). ${DAY_RULE}` })
export class AssistTimesheet {
  agentId: string;

  @Field(() => GraphQLLocalDate)
  from: string;

  @Field(() => GraphQLLocalDate)
  to: string;

  @Field()
  timeZone: string;

  @Field(() => [AssistTimesheetDay], { description: 'Every day of the range, in order.' })
  days: AssistTimesheetDay[];

  @Field(() => Int)
  sessions: number;

  @Field(() => Float)
  totalSeconds: number;

  startsAt: Date;
  endsAt: Date;
}
