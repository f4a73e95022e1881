import { Field, InputType, ObjectType } from 'type-graphql';
import { IsOptional, IsString, IsTimeZone, Matches, MaxLength } from 'class-validator';
import { Organization } from '../../entities/organization.entity';

@InputType()
export class UpdateOrganizationInput {
  @Field({
    nullable: true,
    description: 'IANA time zone, e.g. Europe/Paris: the days of reports and campaign figures.',
  })
  @IsOptional()
  @IsString()
  @IsTimeZone({ message: 'timeZone must be an IANA time zone, e.g. Europe/Paris' })
  @MaxLength(64)
  timeZone?: string;

  @Field({
    nullable: true,
    description:
      "HH:MM (24 h) in the organization's time zone: when its day starts, for the campaign figures 'today' (C9).",
  })
  @IsOptional()
  @IsString()
  @MaxLength(5)
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'dayResetTime is HH:MM (24 h), e.g. 06:00' })
  dayResetTime?: string;
}

@ObjectType()
export class OrganizationPayload {
  @Field(() => Organization)
  organization: Organization;
}
