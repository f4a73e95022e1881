import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { Inbox } from './inbox.entity';
import { Organization } from './organization.entity';
import { Staff } from './staff.entity';

@Entity('inbox_member')
@Index('idx_inbox_member_staff_id', ['staffId'])
export class InboxMember {
  @PrimaryColumn('uuid')
  inboxId: string;

  @ManyToOne(() => Inbox, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'inbox_id' })
  inbox?: Relation<Inbox>;

  @PrimaryColumn('uuid')
  staffId: string;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: Relation<Staff>;

  @Column('uuid')
  organizationId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<Organization>;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  addedAt: Date;

  /**
   * Open conversations the member holds in the inbox: what R8 ranks by. Kept by triggers on
   * conversation and inbox_member (src/services/routing/routing.sql), never written by the server.
   */
  @Column('integer', { default: 0 })
  openCount: number;
}
