import { Field, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Role, StaffStatus } from './enums';
import { Inbox } from './inbox.entity';
import { OrganizationRecord } from './organization-record';

@ObjectType({ description: 'A person who signs in: agent, dispatcher, supervisor or admin.' })
@Entity('staff')
// Unique within an organization only: another tenant may not learn that an address is in use.
@Index('uq_staff_organization_id_email', ['organizationId', 'email'], { unique: true })
@Index('idx_staff_email', ['email'])
@Index('idx_staff_organization_id', ['organizationId'])
export class Staff extends OrganizationRecord {
  @Field()
  @Column('text')
  name: string;

  /** Stored lower-case; unique within the organization (sign-in asks which one when needed). */
  @Field()
  @Column('text')
  email: string;

  @Column('text')
  passwordHash: string;

  @Field(() => Role)
  @Column('varchar', { length: 16 })
  role: Role;

  @Field({ description: 'Deactivated staff cannot sign in and receive no work.' })
  @Column('boolean', { default: true })
  active: boolean;

  @Field(() => StaffStatus)
  @Column('varchar', { length: 16, default: StaffStatus.OFFLINE })
  status: StaffStatus;

  @Column('uuid', { nullable: true })
  defaultInboxId: string | null;

  @ManyToOne(() => Inbox, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'default_inbox_id' })
  defaultInbox?: Relation<Inbox> | null;

  /** Set by a supervisor (pauseAgent): a paused agent is offered and takes no new work. */
  @Field(() => Date, {
    nullable: true,
    description: 'Set while a supervisor has paused the agent.',
  })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  pausedAt: Date | null;

  @Column('text', { nullable: true })
  pauseReason: string | null;

  /**
   * Raised (by triggers of src/authz/access.sql) whenever what the person may watch changes: their
   * role, their activation, an inbox membership. Live streams compare it instead of asking the
   * database again at every event.
   */
  @Column('bigint', { default: 0 })
  accessGeneration: string;

  /** R8's last tie-break: the longest since their last assignment goes first. */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  lastAssignedAt: Date | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
