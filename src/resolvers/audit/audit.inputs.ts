import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { IsDate, IsEnum, IsOptional, IsUUID, ValidateNested } from 'class-validator';
import { AuditEvent, AuditEventKind } from '../../entities/audit-event.entity';
import { ConnectionArgs, ConnectionType } from '../../schema/connection';

@InputType({ description: 'Each filter given narrows the list.' })
export class AuditEventFilterInput {
  @Field(() => ID, { nullable: true, description: 'Who acted: a staff member or an API key.' })
  @IsOptional()
  @IsUUID('all')
  actorId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The record acted on.' })
  @IsOptional()
  @IsUUID('all')
  subjectId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The customer an action was taken for.' })
  @IsOptional()
  @IsUUID('all')
  onBehalfOfId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Everything done in one assist session.' })
  @IsOptional()
  @IsUUID('all')
  assistSessionId?: string | null;

  @Field(() => AuditEventKind, { nullable: true })
  @IsOptional()
  @IsEnum(AuditEventKind)
  kind?: AuditEventKind | null;

  @Field(() => Date, { nullable: true, description: 'At or after.' })
  @IsOptional()
  @IsDate()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Before.' })
  @IsOptional()
  @IsDate()
  to?: Date | null;
}

@ArgsType()
export class AuditEventsArgs extends ConnectionArgs {
  @Field(() => AuditEventFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: AuditEventFilterInput | null;
}

export const AuditEventConnection = ConnectionType(AuditEvent);
