import { Field, InputType, ObjectType } from 'type-graphql';
import { IsString, IsTimeZone, MaxLength } from 'class-validator';
import { Organization } from '../../entities/organization.entity';

@InputType()
export class UpdateOrganizationInput {
  @Field({ description: 'IANA time zone, e.g. Europe/Paris: the days of reports.' })
  @IsString()
  @IsTimeZone({ message: 'timeZone must be an IANA time zone, e.g. Europe/Paris' })
  @MaxLength(64)
  timeZone: string;
}

@ObjectType()
export class OrganizationPayload {
  @Field(() => Organization)
  organization: Organization;
}
