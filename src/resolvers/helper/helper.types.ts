import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Conversation } from '../../entities/conversation.entity';
import { HelperAssignment } from '../../entities/helper-assignment.entity';
import { Message } from '../../entities/message.entity';
import {
  HelperChangeKind,
  type HelperChangePayload,
  NotificationKind,
  type NotificationPayload,
} from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { fromSnapshot } from '../../subscriptions/snapshot';
import { ConnectionType } from '../../schema/connection';
import { Actor } from '../common/actor.type';

export enum HelperTag {
  /** Nobody helps this customer. */
  NONE = 'NONE',
  /** You help this customer. */
  ME = 'ME',
  /** Someone helps this customer, not you. */
  OTHERS = 'OTHERS',
}

registerEnumType(HelperTag, {
  name: 'HelperTag',
  description: 'Who helps the customer, seen by the viewer (H5).',
});

export function helperTagOf(helpers: HelperAssignment[], viewerId: string | null): HelperTag {
  if (helpers.length === 0) return HelperTag.NONE;
  return helpers.some((helper) => helper.staffId === viewerId) ? HelperTag.ME : HelperTag.OTHERS;
}

@ObjectType()
export class HelperPayload {
  @Field(() => HelperAssignment)
  assignment: HelperAssignment;

  @Field({
    description: 'False when the staff member already helped the customer: nothing changed.',
  })
  created: boolean;
}

@ObjectType()
export class EndHelperPayload {
  @Field(() => HelperAssignment)
  assignment: HelperAssignment;
}

@ObjectType({ description: 'A helper assignment of a customer began or ended.' })
export class HelperChangeEvent {
  @Field(() => Int, { description: 'Per-stream sequence: a gap means an event was missed.' })
  seq: number;

  @Field(() => HelperChangeKind)
  kind: HelperChangeKind;

  @Field()
  at: Date;

  @Field(() => HelperAssignment, { nullable: true, description: 'ADDED, ENDED: the assignment.' })
  assignment: HelperAssignment | null;

  @Field(() => [HelperAssignment], {
    nullable: true,
    description: 'SNAPSHOT: the current assignments.',
  })
  assignments: HelperAssignment[] | null;

  @Field(() => Actor, { nullable: true })
  actor: Actor | null;
}

export function toHelperChangeEvent(
  envelope: EventEnvelope<HelperChangePayload>,
): HelperChangeEvent {
  const { kind, assignment, assignments, actor } = envelope.payload;
  return {
    seq: envelope.seq,
    kind,
    at: new Date(envelope.at),
    assignment: assignment ? fromSnapshot(HelperAssignment, assignment) : null,
    assignments: assignments ? assignments.map((a) => fromSnapshot(HelperAssignment, a)) : null,
    actor: actor ?? null,
  };
}

@ObjectType({ description: 'Something happened with a customer you help (H9).' })
export class NotificationEvent {
  @Field(() => Int, {
    description: 'Your notification sequence: pass the last one as `after` to resume.',
  })
  seq: number;

  @Field(() => NotificationKind)
  kind: NotificationKind;

  @Field()
  at: Date;

  customerId: string;

  @Field(() => Conversation)
  conversation: Conversation;

  @Field(() => Message, { nullable: true })
  message: Message | null;
}

export function toNotificationEvent(
  envelope: EventEnvelope<NotificationPayload>,
): NotificationEvent {
  const { kind, customerId, conversation, message } = envelope.payload;
  return {
    seq: envelope.seq,
    kind,
    at: new Date(envelope.at),
    customerId,
    conversation: fromSnapshot(Conversation, conversation),
    message: message ? fromSnapshot(Message, message) : null,
  };
}

export const HelperAssignmentConnection = ConnectionType(HelperAssignment);
