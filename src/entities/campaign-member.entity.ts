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
import { Campaign } from './campaign.entity';
import { Organization } from './organization.entity';
import { Staff } from './staff.entity';

/** An agent of a campaign (C2, C17). */
@Entity('campaign_member')
@Index('idx_campaign_member_staff_id', ['staffId'])
export class CampaignMember {
  @PrimaryColumn('uuid')
  campaignId: string;

  @ManyToOne(() => Campaign, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id' })
  campaign?: Relation<Campaign>;

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
}
