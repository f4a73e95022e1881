import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { AuthorKind } from './enums';
import { Customer } from './customer.entity';
import { OrganizationRecord } from './organization-record';
import { Staff } from './staff.entity';

export enum HelperEndReason {
  /** Ended by hand (endHelper). */
  ENDED = 'ENDED',
  /** Its `until` came (H3). */
  EXPIRED = 'EXPIRED',
  /** The staff member was deactivated. */
  DEACTIVATED = 'DEACTIVATED',
}

registerEnumType(HelperEndReason, { name: 'HelperEndReason' });

/**
 * A staff member helping a customer (H1): it covers every contact of the customer. Ended
 * assignments stay as history (H8). Active: not ended, and `until` (if any) still ahead.
 */
@ObjectType({ description: 'A staff member assigned to help a customer, current or past.' })
@Entity('helper_assignment')
@Index('uq_helper_assignment_active', ['customerId', 'staffId'], {
  unique: true,
  where: 'ended_at IS NULL',
})
@Index('idx_helper_assignment_staff_id', ['staffId'], { where: 'ended_at IS NULL' })
@Index('idx_helper_assignment_customer_id', ['customerId', 'assignedAt'])
@Index('idx_helper_assignment_until', ['until'], {
  where: 'ended_at IS NULL AND until IS NOT NULL',
})
export class HelperAssignment extends OrganizationRecord {
  @Column('uuid')
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: Relation<Customer>;

  @Column('uuid')
  staffId: string;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: Relation<Staff>;

  @Column('varchar', { length: 16 })
  assignedByKind: AuthorKind;

  @Column('uuid', { nullable: true })
  assignedById: string | null;

  @Column('text')
  assignedByName: string;

  @Field({ description: 'When the help started.' })
  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  assignedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the server ends it by itself, if set.' })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  until: Date | null;

  @Field(() => Date, { nullable: true })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  endedAt: Date | null;

  @Field(() => HelperEndReason, { nullable: true })
  @Column('varchar', { length: 16, nullable: true })
  endReason: HelperEndReason | null;

  @Column('varchar', { length: 16, nullable: true })
  endedByKind: AuthorKind | null;

  @Column('uuid', { nullable: true })
  endedById: string | null;

  @Column('text', { nullable: true })
  endedByName: string | null;
}
