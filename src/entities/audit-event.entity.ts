import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { AuthorKind } from './enums';
import { OrganizationRecord } from './organization-record';

/** Who did what to which record: kept for supervisors and security reviews. */
@Entity('audit_event')
@Index('idx_audit_event_organization_id_at', ['organizationId', 'at'])
export class AuditEvent extends OrganizationRecord {
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
