import { Field, ObjectType, registerEnumType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
} from 'typeorm';
import { GraphQLJSONObject } from 'graphql-scalars';
import { AssistSession } from './assist-session.entity';
import { Customer } from './customer.entity';
import { AuthorKind } from './enums';
import { OrganizationRecord } from './organization-record';
import { Staff } from './staff.entity';

export enum ServiceRequestKind {
  /** submitRequest */
  REQUEST = 'REQUEST',
  /** saveForm (a draft) and submitForm */
  FORM = 'FORM',
  /** startWorkflow */
  WORKFLOW = 'WORKFLOW',
}

export enum ServiceRequestStatus {
  /** A form saved, not submitted yet. */
  DRAFT = 'DRAFT',
  SUBMITTED = 'SUBMITTED',
  /** A workflow started. */
  STARTED = 'STARTED',
}

registerEnumType(ServiceRequestKind, {
  name: 'ServiceRequestKind',
  description: 'A request, a form (draft or submitted) or a workflow started for a customer.',
});
registerEnumType(ServiceRequestStatus, { name: 'ServiceRequestStatus' });

/**
 * Something a customer asked for (A4): always the customer's own. When a staff member made it
 * for them, the assisting staff member and the assist session are recorded beside it, as they
 * were at its last change (the audit trail keeps every step).
 */
@ObjectType({
  description:
    "A customer's request, form or workflow. Always the customer's own; `assistedBy` names the " +
    'staff member who made it for them through assisted service, if any.',
})
@Entity('service_request')
@Index('idx_service_request_customer_id_created_at', ['customerId', 'createdAt', 'id'])
@Index('idx_service_request_organization_id_created_at', ['organizationId', 'createdAt', 'id'])
@Index('idx_service_request_assisted_by_id', ['assistedById', 'createdAt'], {
  where: 'assisted_by_id IS NOT NULL',
})
@Index('idx_service_request_assist_session_id', ['assistSessionId'], {
  where: 'assist_session_id IS NOT NULL',
})
export class ServiceRequest extends OrganizationRecord {
  @Column('uuid')
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: Relation<Customer>;

  @Field(() => ServiceRequestKind)
  @Column('varchar', { length: 16 })
  kind: ServiceRequestKind;

  @Field()
  @Column('text')
  service: string;

  @Field(() => ServiceRequestStatus)
  @Column('varchar', { length: 16 })
  status: ServiceRequestStatus;

  @Field(() => GraphQLJSONObject, { description: 'What the customer asked for, as sent.' })
  @Column('jsonb')
  data: Record<string, unknown>;

  /** The staff member who made it for the customer (assisted service); null for their own. */
  @Column('uuid', { nullable: true })
  assistedById: string | null;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'assisted_by_id' })
  assistedBy?: Relation<Staff> | null;

  @Column('uuid', { nullable: true })
  assistSessionId: string | null;

  @ManyToOne(() => AssistSession, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'assist_session_id' })
  assistSession?: Relation<AssistSession> | null;

  /** Who entered it: the assisting staff member, or the API key of the customer's own channel. */
  @Column('varchar', { length: 16 })
  recordedByKind: AuthorKind;

  @Column('uuid', { nullable: true })
  recordedById: string | null;

  @Column('text')
  recordedByName: string;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field()
  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  updatedAt: Date;

  @Field(() => Date, { nullable: true })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  submittedAt: Date | null;
}
