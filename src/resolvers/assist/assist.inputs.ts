import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsEnum, IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { AGENT_OUTCOMES, AssistOutcome, AssistSession } from '../../entities/assist-session.entity';
import { Channel } from '../../entities/enums';
import { ConnectionType } from '../../schema/connection';
import { AssistChangeKind, type AssistChangePayload } from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { fromSnapshot } from '../../subscriptions/snapshot';
import { Actor } from '../common/actor.type';
import { IsNotBlank } from '../common/validation';

@InputType()
export class StartAssistingInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Leave it out for a caller who is not a customer yet: registerCustomer binds one.',
  })
  @IsOptional()
  @IsUUID('all')
  customerId?: string | null;

  @Field(() => Channel, { description: 'Where the customer is: VOICE for the phone.' })
  @IsEnum(Channel)
  channel: Channel;

  @Field({ description: 'The service the customer needs help with; reports group by it.' })
  @IsString()
  @MinLength(1)
  @IsNotBlank()
  @MaxLength(200)
  service: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string | null;
}

@InputType()
export class EndAssistingInput {
  @Field(() => AssistOutcome, {
    description: 'RESOLVED, FOLLOW_UP, ESCALATED or ABANDONED (the others are set by Tandem).',
  })
  @IsIn(AGENT_OUTCOMES, {
    message: `outcome must be one of ${AGENT_OUTCOMES.join(', ')}: the others are set by Tandem`,
  })
  outcome: AssistOutcome;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  notes?: string | null;
}

@ObjectType()
export class AssistSessionPayload {
  @Field(() => AssistSession)
  session: AssistSession;
}

@ObjectType({
  description:
    "A change to the caller's assist session, for the banner every window of theirs shows.",
})
export class ActiveAssistEvent {
  @Field(() => Int, { description: 'Per-person sequence: a gap means an event was missed.' })
  seq: number;

  @Field(() => AssistChangeKind)
  kind: AssistChangeKind;

  @Field()
  at: Date;

  @Field(() => AssistSession, {
    nullable: true,
    description: 'The session as it is now (ENDED: with its outcome); SNAPSHOT: null when none.',
  })
  session: AssistSession | null;

  @Field(() => Actor, {
    nullable: true,
    description: 'Who caused it (Tandem itself for a timeout); null on the SNAPSHOT.',
  })
  actor: Actor | null;
}

export function toActiveAssistEvent(
  envelope: EventEnvelope<AssistChangePayload>,
): ActiveAssistEvent {
  const { kind, session, actor } = envelope.payload;
  return {
    seq: envelope.seq,
    kind,
    at: new Date(envelope.at),
    session: session ? fromSnapshot(AssistSession, session) : null,
    actor: actor ?? null,
  };
}

export const AssistSessionConnection = ConnectionType(AssistSession);
