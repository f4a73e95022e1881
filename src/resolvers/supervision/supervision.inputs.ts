import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsString, IsUUID, MaxLength } from 'class-validator';
import { Staff } from '../../entities/staff.entity';
import { IsNotBlank } from '../common/validation';

@InputType()
export class AgentInput {
  @Field(() => ID)
  @IsUUID('all')
  agentId: string;
}

@InputType()
export class PauseAgentInput extends AgentInput {
  @Field({
    description: 'Why: kept while the agent is paused, shown to supervisors and the agent.',
  })
  @IsString()
  @IsNotBlank()
  @MaxLength(500)
  reason: string;
}

@ObjectType()
export class AgentPayload {
  @Field(() => Staff)
  agent: Staff;
}

@ObjectType()
export class DisconnectAgentPayload extends AgentPayload {
  @Field(() => Int, { description: 'Sign-ins revoked (each with all its windows).' })
  sessionsRevoked: number;
}
