import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { AuthorKind } from './enums';
import { Organization } from './organization.entity';

/** Who did what to which record: kept for supervisors and security reviews. */
@Entity('audit_event')
@Index('idx_audit_event_organization_id_at', ['organizationId', 'at'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  organizationId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<Organization>;

  @Column('varchar', { length: 16 })
  actorKind: AuthorKind;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  @Column('text')
  action: string;

  @Column('text')
  subjectType: string;

  @Column('uuid', { nullable: true })
  subjectId: string | null;

  @Column('jsonb', { default: () => "'{}'" })
  data: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  at: Date;
}
