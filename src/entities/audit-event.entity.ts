import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { AuthorKind } from './enums';
import { OrganizationRecord } from './organization-record';

/**
 * What an audit event records. The GraphQL name is the key; the stored `action` is the value, so
 * rows written before the enum existed keep their meaning. A new area adds its kinds here.
 */
export enum AuditEventKind {
  STAFF_CREATED = 'staff.created',
  STAFF_UPDATED = 'staff.updated',
  STAFF_DEACTIVATED = 'staff.deactivated',
  API_KEY_CREATED = 'api-key.created',
  API_KEY_REVOKED = 'api-key.revoked',
  ORGANIZATION_UPDATED = 'organization.updated',
  /** Assisted service (A3–A5, A9): every one names the assist session. */
  ASSIST_STARTED = 'assist.started',
  ASSIST_ENDED = 'assist.ended',
  REQUEST_SUBMITTED = 'request.submitted',
  FORM_SAVED = 'form.saved',
  FORM_SUBMITTED = 'form.submitted',
  WORKFLOW_STARTED = 'workflow.started',
  PROFILE_UPDATED = 'customer.profile-updated',
  CUSTOMER_REGISTERED = 'customer.registered',
  /** Supervision (C10–C14): the subject is the agent (or the conversation spied on). */
  SPY_STARTED = 'supervision.spy-started',
  SPY_ENDED = 'supervision.spy-ended',
  AGENT_PAUSED = 'supervision.agent-paused',
  AGENT_RESUMED = 'supervision.agent-resumed',
  AGENT_CHAT = 'supervision.agent-chat',
  AGENT_DISCONNECTED = 'supervision.agent-disconnected',
}

registerEnumType(AuditEventKind, {
  name: 'AuditEventKind',
  description: 'What an audit event records.',
});

/**
 * Who did what to which record: kept for supervisors and security reviews. An action taken on
 * a customer's behalf names both: the actor (the staff member, or the API key of the customer's
 * own channel) and `onBehalfOfId` (the customer), with the assist session when there was one.
 */
@ObjectType({
  description:
    'Who did what to which record. Actions on behalf of a customer name both the actor and the ' +
    'customer (`onBehalfOf`), and the assist session they were taken in.',
})
@Entity('audit_event')
@Index('idx_audit_event_organization_id_at', ['organizationId', 'at'])
@Index('idx_audit_event_actor_id_at', ['actorId', 'at'], { where: 'actor_id IS NOT NULL' })
@Index('idx_audit_event_subject_id_at', ['subjectId', 'at'], { where: 'subject_id IS NOT NULL' })
@Index('idx_audit_event_on_behalf_of_id_at', ['onBehalfOfId', 'at'], {
  where: 'on_behalf_of_id IS NOT NULL',
})
export class AuditEvent extends OrganizationRecord {
  @Column('varchar', { length: 16 })
  actorKind: AuthorKind;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  /** Rows written before names were kept have an empty one (the staff or key is still linked). */
  @Column('text', { default: '' })
  actorName: string;

  @Field(() => AuditEventKind, { name: 'kind' })
  @Column('text')
  action: AuditEventKind;

  @Field({ description: 'The type of the record acted on, e.g. Customer, ServiceRequest.' })
  @Column('text')
  subjectType: string;

  @Field(() => ID, { nullable: true })
  @Column('uuid', { nullable: true })
  subjectId: string | null;

  /** The customer the action was taken for (assisted service, or the customer's own channel). */
  @Column('uuid', { nullable: true })
  onBehalfOfId: string | null;

  @Column('uuid', { nullable: true })
  assistSessionId: string | null;

  @Field(() => GraphQLJSONObject, { description: 'Details of the action (never secrets).' })
  @Column('jsonb', { default: () => "'{}'" })
  data: Record<string, unknown>;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  at: Date;
}
